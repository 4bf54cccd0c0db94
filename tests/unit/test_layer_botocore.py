"""The layer keeps only the botocore models Pagerless calls (shared/layer_botocore.py, run by
shared/Makefile in sam build): every service the code makes a client for is kept, a kept client
resolves the same endpoint in every partition as with botocore's full data, and a removed service
is unknown."""

import importlib.util
import json
import re
import shutil
from pathlib import Path

import botocore
import botocore.awsrequest
import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

CLIENT = re.compile(r"""\b(?:client|resource)\(\s*["']([a-z0-9-]+)["']""")
REGIONS = ("us-east-1", "eu-central-1", "ap-southeast-1", "cn-north-1", "us-gov-west-1")


def _script():
    spec = importlib.util.spec_from_file_location("layer_botocore", ROOT / "shared" / "layer_botocore.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _session(data: Path | None) -> botocore.session.Session:
    session = botocore.session.Session()
    if data is not None:
        session.register_component(
            "data_loader", botocore.loaders.Loader(extra_search_paths=[str(data)], include_default_search_paths=False)
        )
    session.set_credentials("key", "secret")
    return session


def test_every_service_the_code_calls_is_kept():
    called = set()
    for root in ("shared/pagerless", "functions"):
        for path in (ROOT / root).rglob("*.py"):
            if "local" in path.relative_to(ROOT).parts:  # the embedded runtime runs from the venv, not the layer
                continue
            called |= set(CLIENT.findall(path.read_text(encoding="utf-8")))
    assert called, "the scan found no client"
    assert called <= _script().SERVICES, f"not kept in the layer: {sorted(called - _script().SERVICES)}"


def test_kept_clients_resolve_as_with_the_full_data_and_others_are_unknown(tmp_path):
    script = _script()
    full = Path(botocore.__file__).parent / "data"
    keep = set(script.SERVICES) | {"s3", "ec2"}  # two that the trim must remove
    data = tmp_path / "python" / "botocore" / "data"
    shutil.copytree(
        full,
        data,
        ignore=lambda d, names: [n for n in names if Path(d) == full and n not in keep and (full / n).is_dir()],
    )

    removed, kept = script.trim(tmp_path / "python")

    assert (removed, kept) == (2, len(script.SERVICES))
    trimmed, reference = _session(data), _session(None)
    for service in sorted(script.SERVICES):
        for region in REGIONS:
            ours = trimmed.create_client(service, region_name=region)
            theirs = reference.create_client(service, region_name=region)
            assert ours.meta.endpoint_url == theirs.meta.endpoint_url, (service, region)
    for service in ("s3", "ec2"):
        with pytest.raises(UnknownServiceError):
            trimmed.create_client(service, region_name="us-east-1")
    assert (data / "endpoints.json").stat().st_size < (full / "endpoints.json").stat().st_size / 10


def test_kept_models_are_botocores_less_their_documentation_and_send_the_same_requests(tmp_path):
    script = _script()
    full = Path(botocore.__file__).parent / "data"
    data = tmp_path / "python" / "botocore" / "data"
    shutil.copytree(full, data, ignore=lambda d, names: [n for n in names if Path(d) == full and n in {"s3", "ec2"}])

    script.trim(tmp_path / "python")

    # Every kept model is botocore's, less its documentation strings (and its examples are gone)
    ours, theirs = (
        botocore.loaders.Loader(extra_search_paths=[str(data)], include_default_search_paths=False),
        (botocore.loaders.Loader()),
    )
    for service in sorted(script.SERVICES):
        model = ours.load_service_model(service, "service-2")
        assert model == script.without_documentation(theirs.load_service_model(service, "service-2")), service
        assert '"documentation"' not in json.dumps(model)
    assert not list(data.glob("*/*/examples-1.json"))
    # A client made from the trimmed data sends what one made from botocore's own sends, byte for byte
    sent = {}
    for name, session in (("ours", _session(data)), ("theirs", _session(None))):
        client = session.create_client("dynamodb", region_name="us-east-1")

        def capture(request, name=name, **_):
            sent[name] = (request.url, request.headers["X-Amz-Target"], request.body)
            return botocore.awsrequest.AWSResponse(request.url, 200, {}, _Raw(b"{}"))

        client.meta.events.register("before-send.dynamodb.PutItem", capture)
        client.put_item(
            TableName="t",
            Item={"pk": {"S": "a"}, "n": {"N": "1"}, "m": {"M": {"l": {"L": [{"BOOL": True}]}}}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert sent["ours"] == sent["theirs"]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body
