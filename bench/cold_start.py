"""Cold start per function: a fresh Python process imports the handler and serves one real event.

What a cold Lambda pays is measured, in a bare child process (bench/_cold_child.py: nothing imported
before the clock but the standard library): the import of the handler module, then its first invocation. Three
figures per function, each the median of --runs fresh processes, and each also as a ratio to a
FastAPI+Mangum hello world (import + first request) measured in the same run:

- ``import``: the handler module's import alone.
- ``no-DB``: import + a first request whose work needs no DynamoDB call, where the function has
  one (``/healthz``; the console's login page). Every authenticated /api route looks its key up in
  DynamoDB, so most functions have none.
- ``DB``: import + a first request that authenticates with a real API key and does the route's
  job against DynamoDB, SQS and Step Functions (a moto server on loopback, started once by the
  parent, with every table and queue of template.yaml). Non-HTTP functions get their own event
  (SQS batch, Step Functions task, schedule), from events/ where one fits. The System function's
  ``GET /api/status`` answers from the probe the scheduled function's ``status-probe`` job stores (run by
  the parent as EventBridge runs it, once a minute); ``?live=true``, which probes every table, queue and
  state machine itself, is printed on a line of its own.

Every request's answer is checked (HTTP 2xx/3xx, no failed SQS record, no exception); a function
whose request fails is printed with the failure instead of a figure.

What the children import, and its bytecode, is what a deployed function has:

- ``--layer DIR`` (``make bench`` passes ``.aws-sam/build/SharedLayer/python``): the layer as
  ``sam build`` made it, with its bytecode (shared/layer_bytecode.py), and nothing else but the
  standard library (``python -S``). The hello world imports FastAPI and Mangum from it too.
- Without it: this venv, with what is not in the layer hidden, and the bytecode of shared/ and
  functions/ compiled beforehand (into their ``__pycache__``, as Python itself would write it), as
  the layer ships it: the figures do not depend on whether this environment lets imports write
  bytecode (``PYTHONDONTWRITEBYTECODE``).

    python bench/cold_start.py [--runs 5] [--only IngestFunction,SystemFunction] [--layer DIR]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _cold_events import (
    Receiver,
    db_requests,
    db_variants,
    http_event,
    no_db_requests,
    seed,
    start_aws,
    start_receiver,
)

ROOT = Path(__file__).resolve().parents[1]
# pagerless.bundle.BUNDLE: not imported, a child must import nothing of the layer before its clock starts
BUNDLE = "pagerless-modules.bundle"
CHILD = Path(__file__).resolve().with_name("_cold_child.py")  # what each fresh process runs
HELLO = """
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/hello")
def hello():
    return {"hello": "world"}
handler = Mangum(app, lifespan="off")
"""
# The least an HTTP function whose first request makes a DynamoDB call can take: the hello world
# whose route makes one (botocore imported, a first DynamoDB client, one call; Pagerless makes its
# clients on a plain botocore session too: pagerless.aws).
HELLO_DB = """
from botocore.session import get_session
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/hello")
def hello():
    get_session().create_client("dynamodb").list_tables(Limit=1)
    return {"hello": "world"}
handler = Mangum(app, lifespan="off")
"""


def not_in_layer() -> list[str]:
    """Top-level modules of this venv's distributions that the Lambda layer does not get
    (shared/requirements.txt and what those require, as installed here): test and dev tools.
    Libraries import some of them when present — httpx imports its command line (rich,
    pygments: ~110 ms) if it can, botocore signs with awscrt — and a deployed function has
    none of them, so the children must not find them either."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = (ROOT / "shared" / "requirements.txt").read_text().splitlines()
    todo = [Requirement(line) for line in (raw.split("#")[0].strip() for raw in lines) if line]
    layer: set[str] = set()
    done: set[tuple[str, frozenset]] = set()
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in done:
            continue
        done.add((name, extras))
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        layer.add(name)
        for text in distribution.requires or []:
            needed = Requirement(text)
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append(needed)
    return sorted(
        top
        for top, names in metadata.packages_distributions().items()
        if top != "pagerless" and not any(canonicalize_name(n) in layer for n in names)
    )


class Runner:
    """Runs children; each function's runs alternate with hello-world runs, so a ratio compares
    processes started seconds apart (the machine's load drifts over a whole run)."""

    def __init__(self, runs: int, env: dict[str, str], workdir: Path) -> None:
        self.runs, self.env, self.workdir = runs, env, workdir
        self.hello_path = workdir / "hello_app.py"
        self.hello_path.write_text(HELLO)
        self.hello_event = self._event_file("hello", http_event("GET", "/hello"))

    def _event_file(self, label: str, event: dict | None) -> str:
        if event is None:
            return ""
        path = self.workdir / f"{label}.json"
        path.write_text(json.dumps(event))
        return str(path)

    def _once(self, path: Path, event_file: str) -> dict:
        isolated = ["-S", "-E", "-B"] if self.env.get("PAGERLESS_BENCH_LAYER") else []
        out = subprocess.run(
            [sys.executable, *isolated, str(CHILD), str(path), event_file],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=self.env,
            timeout=180,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {"error": f"crashed: {out.stderr.strip()[-300:]}"}

    def measure(self, label: str, path: Path, event: dict | None) -> dict:
        """Medians of the function's runs and of the hello-world runs between them."""
        return self.measure_pair(label, [path], event)[0]

    def measure_pair(self, label: str, paths: list[Path], event) -> list[dict]:
        """Each round runs the hello world, then each of ``paths`` (e.g. the --baseline tree's
        handler and this tree's): their medians, each with the median of the same hello runs.
        ``event`` is one event for every run, or a function of the run's number that makes each
        run its own (a notification is delivered once per generation)."""
        samples = [[] for _ in paths]
        importing = [[] for _ in paths]
        last: list[dict] = [{} for _ in paths]
        hello = []
        runs = 0
        for _ in range(self.runs):
            hello.append(self._once(self.hello_path, self.hello_event)["ms"])
            for i, path in enumerate(paths):
                runs += 1
                event_file = self._event_file(f"{label}-{runs}", event(runs) if callable(event) else event)
                last[i] = self._once(path, event_file)
                if last[i].get("error"):
                    return [last[i] for _ in paths]
                samples[i].append(last[i]["ms"])
                importing[i].append(last[i]["import_ms"])
        return [
            {
                **last[i],
                "ms": statistics.median(samples[i]),
                "import_ms": statistics.median(importing[i]),
                "hello_ms": statistics.median(hello),
                "error": None,
            }
            for i in range(len(paths))
        ]


def ratio(ms: float, base: float) -> str:
    return f"{ms:7.0f} ms {ms / base:4.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument(
        "--profile", help="write a cProfile of each child (import + first invocation, every thread) here"
    )
    parser.add_argument(
        "--baseline",
        help="another checkout of the repo (e.g. `git archive <commit> | tar -x -C DIR`): its handlers are run "
        "in the same rounds as this tree's, and each figure is printed before -> after",
    )
    parser.add_argument("--layer", type=Path, help="the built layer's python/ directory (sam build): import only that")
    args = parser.parse_args()
    if args.layer and args.baseline:
        parser.error("--layer measures one built layer; --baseline compares two source trees")
    if args.layer and not (args.layer / "pagerless").is_dir():
        parser.error(f"{args.layer} is not a built layer (no pagerless/ in it): run `make build` first")
    import shutil
    import tempfile

    runtime = start_aws()
    receiver_url, receiver = start_receiver()
    try:
        seeded = seed(runtime, receiver_url)
    except Exception as exc:
        print(f"  skipped: could not seed the embedded AWS: {type(exc).__name__}: {exc}")
        raise
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["TZ"] = ":UTC"  # what Lambda sets in every function (a reserved variable); Babel reads it on import
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        env["PAGERLESS_BENCH_PROFILE"] = str(Path(args.profile).resolve())
    workdir = Path(tempfile.mkdtemp(prefix="pl-cold-"))
    hidden: list[str] = []
    if args.layer:
        env["PAGERLESS_BENCH_LAYER"] = str(args.layer.resolve())
    else:
        hidden = not_in_layer()
        env["PAGERLESS_BENCH_HIDE"] = json.dumps(hidden)
        trees = [ROOT] + ([Path(args.baseline).resolve()] if args.baseline else [])
        folders = [str(tree / sub) for tree in trees for sub in ("shared/pagerless", "functions")]
        subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], env=env, check=True, capture_output=True)
    runner = Runner(args.runs, env, workdir)
    only = set(filter(None, args.only.split(",")))
    specs = [s for s in runtime.lambdas.specs.values() if not only or s.logical_id in only]
    no_db, db = no_db_requests(), db_requests(seeded)
    variants = db_variants(seeded)
    print(f"Cold start per function: import + first invocation in a fresh process, median of {args.runs};")
    print("each ratio is to a FastAPI+Mangum hello world (import + GET /hello) run alternately with that")
    print("function. DB = a real authenticated request on DynamoDB (moto server on loopback); no-DB only")
    print("where a real request needs none. Goal: no-DB (or import) <= 1.0x, DB <= 1.5x.")
    if args.layer:
        print(f"Every child imports from the built layer {args.layer} and the standard library only (python -S).")
    else:
        print(f"Hidden from every child (installed here, not in the Lambda layer): {len(hidden)} modules, e.g.")
        print("  " + ", ".join(m for m in hidden if m in ("awscrt", "rich", "pygments", "moto", "pytest", "flask")))
        print("shared/ and functions/ compiled beforehand, as the layer ships them (make bench measures the layer).")
    try:
        if args.baseline:
            compare(runner, specs, Path(args.baseline).resolve(), no_db, db, variants)
        else:
            table(runner, specs, no_db, db, variants)
            floor(runner, workdir, bool(args.layer and (args.layer / BUNDLE).is_file()))
        if Receiver.received:
            print(f"  the webhook channel received {Receiver.received} notifications (one per NotifyFunction run)")
    finally:
        runtime.stop()
        receiver.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


def table(runner: Runner, specs, no_db: dict, db: dict, variants: dict) -> None:
    print(
        f"  {'function':<24} {'hello':>8} {'import':>16} {'no-DB request':>18} {'DB request':>18}  sessions"
        "  modules (from the bundle)  AWS calls of the DB request"
    )
    for spec in specs:
        path = spec.code_dir / (spec.handler.rsplit(".", 1)[0] + ".py")
        served = runner.measure(spec.logical_id, path, db.get(spec.logical_id))
        row = f"  {spec.logical_id:<24} "
        if served.get("error"):
            print(row + f"request failed: {served['error']}", flush=True)
            continue
        base = served["hello_ms"]
        cheap_text = "—"
        if spec.logical_id in no_db:
            cheap = runner.measure(spec.logical_id + "-nodb", path, no_db[spec.logical_id])
            cheap_text = cheap["error"] or ratio(cheap["ms"], cheap["hello_ms"])
        print(
            row + f"{base:5.0f} ms {ratio(served['import_ms'], base)} {cheap_text:>18} {ratio(served['ms'], base)}  "
            f"{served['botocore_sessions']:>8}  {served['modules']} ({served['bundled']})  {_calls(served)}",
            flush=True,
        )
        for name, event in variants.get(spec.logical_id, {}).items():
            other = runner.measure(spec.logical_id + name, path, event)
            figure = (
                other["error"]
                or f"{other['hello_ms']:5.0f} ms {'':>16} {'':>18} {ratio(other['ms'], other['hello_ms'])}"
            )
            print(f"  {'  ' + name:<24} {figure}", flush=True)


def _calls(served: dict) -> str:
    """``5: GetItem, UpdateItem, Query x3`` (the last run's, in the order sent)."""
    names = served.get("calls") or []
    grouped = [(name, sum(1 for _ in group)) for name, group in __import__("itertools").groupby(names)]
    return f"{len(names)}: " + ", ".join(name if n == 1 else f"{name} x{n}" for name, n in grouped)


def floor(runner: Runner, workdir: Path, bundled: bool = False) -> None:
    """The hello world whose route makes one DynamoDB call, as a ratio to the hello world: no HTTP
    function's DB request can be below it. Where the layer has a bundle (pagerless/bundle.py), the
    hello world and the floor are also run with their modules from it, as the functions load theirs:
    how much of a function's ratio the bundle alone accounts for."""
    cases = [("hello-db", HELLO_DB, "hello world + one DynamoDB call")]
    if bundled:
        first = "import pagerless.bundle\n"
        cases += [
            ("hello-bundled", first + HELLO, "hello world, from the bundle"),
            ("hello-db-bundled", first + HELLO_DB, "hello world + one DynamoDB call, from the bundle"),
        ]
    for label, source, name in cases:
        path = workdir / f"{label.replace('-', '_')}_app.py"
        path.write_text(source)
        served = runner.measure(label, path, http_event("GET", "/hello"))
        if served.get("error"):
            print(f"  {name}: failed: {served['error']}")
            continue
        what = (
            "the floor of an HTTP function's DB request (botocore imported, a first client, one call; goal 1.5x)"
            if label == "hello-db"
            else f"{served['bundled']} of {served['modules']} modules from the bundle"
        )
        print(f"  {name} {ratio(served['ms'], served['hello_ms'])}: {what}", flush=True)


def compare(runner: Runner, specs, baseline: Path, no_db: dict, db: dict, variants: dict) -> None:
    """Before (the --baseline tree) -> after (this tree), ratios to the hello runs of the same rounds."""
    print(f"Before = {baseline}, after = this tree, run in the same rounds.")
    print(f"  {'function':<24} {'hello':>8} {'import':>14} {'no-DB request':>16} {'DB request':>14}  sessions")

    def pair(label: str, spec, event: dict) -> list[dict]:
        relative = spec.code_dir.relative_to(ROOT) / (spec.handler.rsplit(".", 1)[0] + ".py")
        return runner.measure_pair(label, [baseline / relative, ROOT / relative], event)

    def text(results: list[dict], key: str) -> str:
        if results[0].get("error"):
            return "failed"
        return " -> ".join(f"{r[key] / r['hello_ms']:.2f}x" for r in results)

    for spec in specs:
        served = pair(spec.logical_id, spec, db.get(spec.logical_id))
        row = f"  {spec.logical_id:<24} "
        if served[0].get("error"):
            print(row + f"request failed: {served[0]['error']}", flush=True)
            continue
        cheap = (
            text(pair(spec.logical_id + "-nodb", spec, no_db[spec.logical_id]), "ms")
            if spec.logical_id in no_db
            else "—"
        )
        sessions = " -> ".join(str(r["botocore_sessions"]) for r in served)
        print(
            row + f"{served[1]['hello_ms']:5.0f} ms {text(served, 'import_ms'):>14} {cheap:>16} "
            f"{text(served, 'ms'):>14}  {sessions}",
            flush=True,
        )
        for name, event in variants.get(spec.logical_id, {}).items():
            other = pair(spec.logical_id + name, spec, event)
            figure = (
                other[0].get("error") or f"{other[1]['hello_ms']:5.0f} ms {'':>14} {'':>16} {text(other, 'ms'):>14}"
            )
            print(f"  {'  ' + name:<24} {figure}", flush=True)


if __name__ == "__main__":
    main()
