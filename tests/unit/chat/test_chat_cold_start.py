"""The chat function answers within 3 seconds from a cold start: it must not import kubernetes
(~0.4 s) or anthropic (~2.6 s). Its cold start is printed by `make bench` (bench/cold_start.py
walks every function of template.yaml, ChatFunction included)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_chat_function_and_what_a_click_runs_import_neither_kubernetes_nor_anthropic():
    # Given a fresh interpreter that loads the chat handler and every module a click goes through
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('chat_app', {str(ROOT / 'functions/chat/app.py')!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "import pagerless.chat.actions, pagerless.workflow.approvals, pagerless.incidents.service\n"
        "import pagerless.chat.email_links, pagerless.api.routes.email_approvals\n"
        "print(sorted(m for m in ('kubernetes', 'anthropic') if m in sys.modules))"
    )
    # When it runs
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "shared"), "AWS_REGION": "us-east-1"},
    )
    # Then neither heavy client was imported
    assert result.stdout.strip().splitlines()[-1] == "[]"
