from tests.conftest import auth


def test_status_requires_key_and_answers_with_one(api, admin_key):
    # Given no key
    response = api.get("/api/status")
    # Then 401 in the error format
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    # When the admin key is presented
    response = api.get("/api/status", headers=auth(admin_key))
    # Then the store is reachable
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["store"]["api_keys"]["reachable"] is True
