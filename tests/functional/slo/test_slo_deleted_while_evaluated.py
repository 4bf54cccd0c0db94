"""An SLO deleted while its evaluation fails: the evaluation's caller is told the evaluation's own error (what
Prometheus said), and that the SLO was deleted meanwhile, so nothing keeps it; the store's refused write of the error
onto an SLO that is gone is no 500 that hides it. One deleted while its evaluation succeeds keeps no buckets: an SLO
created again under its name would count them. Prometheus is a fake speaking its HTTP API's shapes."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

NAME = "payments-api-availability"
PARSE_ERROR = "1:5: parse error: unexpected end of input"


def _document(port: int) -> dict:
    def source(query):
        return {"metricSource": {"type": "Prometheus", "spec": {"query": query, "url": f"http://127.0.0.1:{port}"}}}

    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": NAME},
        "spec": {
            "service": "payments-api",
            "indicator": {
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": source('http_requests_total{code="500"}'),
                        "total": source("http_requests_total"),
                    }
                }
            },
            "timeWindow": [{"duration": "30d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": 0.999}],
        },
    }


@pytest.fixture
def deleting_prometheus():
    """A Prometheus whose query_range answers 400 bad_data, and which deletes the SLO as it is asked (an admin
    deleting it while it is evaluated)."""
    from pagerless.slo.service import SloService

    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 — http.server's name
            asked.append(self.path)
            if len(asked) == 1:
                SloService().delete("default", NAME)
            body = json.dumps({"status": "error", "errorType": "bad_data", "error": PARSE_ERROR}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield asked, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_slo_deleted_while_its_evaluation_fails_answers_that_failure_and_that_it_is_gone(
    runtime, api, admin_key, deleting_prometheus
):
    # Given an SLO whose query Prometheus rejects
    asked, port = deleting_prometheus
    created = api.post("/api/slo", json=_document(port), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # When it is evaluated on request and an admin deletes it meanwhile
    response = api.post(f"/api/slo/{NAME}/evaluate", headers=auth(admin_key))
    assert asked
    # Then the answer is the evaluation's own error, in the API's format, with what Prometheus said, and that the SLO
    # was deleted meanwhile (nothing keeps the error: it is told here or nowhere)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"] == "Prometheus rejected the query"
    assert error["details"][0]["error"] == PARSE_ERROR
    assert error["details"][-1] == {
        "slo": NAME,
        "deleted": True,
        "message": "the SLO was deleted while it was evaluated",
    }
    # And the SLO stays deleted: nothing was written back onto it
    assert api.get(f"/api/slo/{NAME}", headers=auth(admin_key)).status_code == 404
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0


def _answering_prometheus(create_again: bool = False, replace: bool = False):
    """A Prometheus whose query_range answers a sample at every step (100 requests, 1 of them failed, each 5
    minutes), and which deletes the SLO as it is first asked (an admin deleting it while it is evaluated), and
    creates it again under its name when ``create_again``."""
    from pagerless.slo.service import SloService

    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 — http.server's name
            asked.append(self.path)
            if len(asked) == 1 and replace:  # the same indicator, a stricter objective
                document = _document(self.server.server_address[1])
                document["spec"]["objectives"] = [{"target": 0.9995}]
                SloService().replace("default", NAME, document)
            elif len(asked) == 1:
                SloService().delete("default", NAME)
                if create_again:
                    SloService().create("default", _document(self.server.server_address[1]))
            query = parse_qs(urlsplit(self.path).query)
            start, end, step = (int(float(query[key][0])) for key in ("start", "end", "step"))
            value = "1" if 'code="500"' in query["query"][0] else "100"
            values = [[stamp, value] for stamp in range(start, end + 1, step)]
            result = [{"metric": {}, "values": values}]
            body = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return asked, server


@pytest.fixture
def answering_prometheus():
    asked, server = _answering_prometheus(create_again=False)
    yield asked, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def replacing_prometheus():
    asked, server = _answering_prometheus(replace=True)
    yield asked, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def recreating_prometheus():
    asked, server = _answering_prometheus(create_again=True)
    yield asked, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_slo_deleted_while_its_evaluation_succeeds_keeps_no_buckets(runtime, api, admin_key, answering_prometheus):
    from pagerless.store.slos import SloRepository

    # Given an SLO whose Prometheus answers with a month of samples
    asked, port = answering_prometheus
    created = api.post("/api/slo", json=_document(port), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # When it is evaluated on request and an admin deletes it while Prometheus is read
    response = api.post(f"/api/slo/{NAME}/evaluate", headers=auth(admin_key))
    assert asked
    # Then the answer says it was deleted meanwhile
    assert response.status_code == 404, response.text
    assert response.json()["error"]["details"], response.text
    assert response.json()["error"]["details"][-1]["deleted"] is True
    # And none of the buckets read for it are kept: an SLO created again under its name starts without them
    assert SloRepository().first_bucket("default", NAME) is None
    again = api.post("/api/slo", json=_document(port), headers=auth(admin_key))
    assert again.status_code == 201, again.text
    budget = api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key))
    assert budget.status_code == 200, budget.text
    assert budget.json()["sli"]["total"] == 0, budget.json()


def test_an_slo_deleted_and_created_again_while_evaluated_gets_none_of_the_old_ones_evaluation(
    runtime, api, admin_key, recreating_prometheus
):
    from pagerless.store.slos import SloRepository

    # Given an SLO whose Prometheus answers with a month of samples
    asked, port = recreating_prometheus
    created = api.post("/api/slo", json=_document(port), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # When it is evaluated on request and an admin deletes it and creates it again under its name meanwhile
    response = api.post(f"/api/slo/{NAME}/evaluate", headers=auth(admin_key))
    assert asked
    # Then the answer says the SLO evaluated was deleted meanwhile
    assert response.status_code == 404, response.text
    assert response.json()["error"]["details"][-1]["deleted"] is True, response.text
    # And the new SLO has neither the old one's evaluation nor its buckets: it was never evaluated
    budget = api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key))
    assert budget.status_code == 200, budget.text
    evaluation = budget.json()["evaluation"]
    assert evaluation["evaluated_at"] is None and evaluation["evaluated_to"] is None, evaluation
    assert SloRepository().first_bucket("default", NAME) is None
    assert budget.json()["sli"]["total"] == 0, budget.json()


def test_an_slo_replaced_while_evaluated_keeps_nothing_of_the_evaluation_and_says_so(
    runtime, api, admin_key, replacing_prometheus
):
    # Given an SLO whose Prometheus answers with a month of samples
    asked, port = replacing_prometheus
    created = api.post("/api/slo", json=_document(port), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # When it is evaluated on request and an admin replaces its definition meanwhile
    response = api.post(f"/api/slo/{NAME}/evaluate", headers=auth(admin_key))
    assert asked
    # Then the answer is a conflict in the API's format: the evaluation was of a definition no longer stored
    assert response.status_code == 409, response.text
    assert response.json()["error"]["details"] == [{"slo": NAME, "reason": "concurrent_update"}], response.text
    # And the replaced SLO has none of it: never evaluated, and evaluated anew it is
    budget = api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key)).json()
    assert budget["evaluation"]["evaluated_at"] is None, budget
    again = api.post(f"/api/slo/{NAME}/evaluate", headers=auth(admin_key))
    assert again.status_code == 200, again.text
    assert api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key)).json()["evaluation"]["evaluated_at"]
