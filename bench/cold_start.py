"""Cold start per function: a fresh Python process imports the handler and serves one event.

Printed beside a minimal FastAPI+Mangum hello world measured in the same run. The embedded AWS
(moto) is set up in the child before the clock starts, so the figure is the function's own
import + first invocation. Median of --runs runs.

    python bench/cold_start.py [--runs 5]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

HELLO = '''
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/hello")
def hello():
    return {"hello": "world"}
handler = Mangum(app, lifespan="off")
'''


def http_event(method: str, path: str) -> dict:
    return {"version": "2.0", "routeKey": f"{method} {path}", "rawPath": path, "rawQueryString": "",
            "headers": {"host": "bench.local"}, "isBase64Encoded": False, "body": None,
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                        "userAgent": "bench"}, "requestId": "bench", "routeKey": f"{method} {path}",
                               "stage": "$default", "accountId": "123456789012", "apiId": "bench",
                               "domainName": "bench.local", "timeEpoch": 0}}


def event_for(spec) -> dict:
    routes = [(e.properties["Method"], e.properties["Path"]) for e in spec.events if e.type == "HttpApi"]
    if routes:
        method, path = next(((m, p) for m, p in routes if p == "/healthz"), routes[0])
        return http_event(method, path.replace("{", "").replace("}", ""))
    folder = ROOT / "events" / spec.code_dir.name
    files = sorted(folder.glob("*.json")) if folder.exists() else []
    return json.loads(files[0].read_text()) if files else {}


def child(logical_id: str) -> None:
    import os

    from moto import mock_aws

    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions

    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "ERROR"}.items():
        os.environ[key] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws(config=MOCK_CONFIG):
        if logical_id == "hello":
            import importlib.util
            import tempfile

            path = Path(tempfile.mkdtemp()) / "hello_app.py"
            path.write_text(HELLO)
            started = time.perf_counter()
            spec = importlib.util.spec_from_file_location("hello_app", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.handler(http_event("GET", "/hello"), None)
        else:
            runtime = LocalRuntime(ROOT / "template.yaml", RuntimeOptions(mode="inprocess")).start(background=False)
            spec = runtime.lambdas.by_logical_id[logical_id]
            event = event_for(spec)
            # moto imported boto3/pydantic already; that is the runtime's cost too (boto3 ships in Lambda)
            started = time.perf_counter()
            try:
                runtime.lambdas.invoke(spec.name, event)
            except Exception:
                pass
        print(json.dumps({"ms": (time.perf_counter() - started) * 1000}))


def child_import(logical_id: str) -> None:
    """Import the handler in a bare process (no moto loaded first): the import half of a cold start."""
    import importlib.util
    import tempfile

    started = time.perf_counter()
    if logical_id == "hello":
        path = Path(tempfile.mkdtemp()) / "hello_app.py"
        path.write_text(HELLO)
    else:
        import yaml  # the template reader; not part of the function

        resource = yaml.load((ROOT / "template.yaml").read_text(), Loader=_loader())["Resources"][logical_id]
        props = resource["Properties"]
        path = ROOT / props["CodeUri"] / (props["Handler"].rsplit(".", 1)[0] + ".py")
        started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("bench_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(json.dumps({"ms": (time.perf_counter() - started) * 1000}))


def _loader():
    from pagerless.local.template import _CfnLoader

    return _CfnLoader


def measure(logical_id: str, runs: int, mode: str = "--child") -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, mode, logical_id], capture_output=True, text=True,
                             cwd=ROOT, timeout=120)
        line = [l for l in out.stdout.splitlines() if l.startswith("{")]
        if not line:
            raise RuntimeError(f"{logical_id}: {out.stderr[-2000:]}")
        samples.append(json.loads(line[-1])["ms"])
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child")
    parser.add_argument("--child-import")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.child_import:
        child_import(args.child_import)
        return
    from pagerless.local.template import Template

    functions = [spec.logical_id for spec in Template(ROOT / "template.yaml").functions()]
    print(f"Cold start per function, median of {args.runs} fresh processes")
    print(f"  {'function':<28} {'import (bare)':>14} {'import+event':>14}   (event run on the embedded AWS,"
          " after moto's own imports)")
    print("  note: import+event includes what the event sets off in-process on the embedded AWS (an alert")
    print("  that opens an incident also runs the first workflow steps there); the import column is the")
    print("  function's own cold-start cost.")
    base_import = measure("hello", args.runs, "--child-import")
    base_event = measure("hello", args.runs)
    print(f"  {'FastAPI+Mangum hello world':<28} {base_import:11.1f} ms {base_event:11.1f} ms")
    for logical_id in functions:
        imported = measure(logical_id, args.runs, "--child-import")
        served = measure(logical_id, args.runs)
        print(f"  {logical_id:<28} {imported:11.1f} ms {served:11.1f} ms   "
              f"({imported / base_import:3.1f}x / {served / base_event:3.1f}x hello world)")


if __name__ == "__main__":
    main()
