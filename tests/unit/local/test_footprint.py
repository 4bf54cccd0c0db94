"""moto's Step Functions interpreter runs without moto's EC2 data in the process."""

import subprocess
import sys
import textwrap
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(SHARED), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_step_functions_interpreter_does_not_import_ec2():
    out = _run(
        """
        import sys
        from pagerless.local import footprint
        assert footprint.skip_ec2_data()
        import moto.stepfunctions.parser.models
        from moto.batch.utils import JobStatus
        print("moto.ec2.models" in sys.modules, "moto.batch.models" in sys.modules, JobStatus.SUCCEEDED.value)
        """
    )
    assert out == "False False SUCCEEDED"


def test_batch_still_imports_when_it_is_used():
    out = _run(
        """
        from pagerless.local import footprint
        footprint.skip_ec2_data()
        import moto.stepfunctions.parser.models
        import moto.batch
        from moto.batch.models import batch_backends
        print(type(batch_backends).__name__)
        """
    )
    assert out == "BackendDict"
