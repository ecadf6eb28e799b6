"""Tokens, demo access, media types and e-conomic's error bodies for 401/403/404/405/415."""

from __future__ import annotations

from typing import Any

import httpx

ERROR_KEYS = {"message", "errorCode", "developerHint", "logId", "httpStatusCode", "logTime"}


def test_requests_without_tokens_get_401_with_a_demo_link_to_the_same_resource(economic_sandbox: Any) -> None:
    response = httpx.get(f"{economic_sandbox.url}/customers/1")
    assert response.status_code == 401
    body = response.json()
    assert ERROR_KEYS <= set(body) and body["httpStatusCode"] == 401
    assert body["demoLink"] == f"{economic_sandbox.url}/customers/1?demo=true"
    assert "X-AppSecretToken" in body["message"] and "X-AgreementGrantToken" in body["message"]


def test_wrong_tokens_get_401_and_the_secret_is_not_echoed(economic_sandbox: Any) -> None:
    response = httpx.get(f"{economic_sandbox.url}/customers",
                         headers={"X-AppSecretToken": "guessed-secret", "X-AgreementGrantToken": economic_sandbox.agreement_grant_token})
    assert response.status_code == 401
    assert "guessed-secret" not in response.text and "not valid" in response.json()["message"]


def test_tokens_are_configurable(economic_sandbox_factory: Any) -> None:
    sandbox = economic_sandbox_factory({"app_secret_token": "app-x", "agreement_grant_token": "grant-y"})
    good = httpx.get(f"{sandbox.url}/self", headers={"X-AppSecretToken": "app-x", "X-AgreementGrantToken": "grant-y"})
    default = httpx.get(f"{sandbox.url}/self", headers={"X-AppSecretToken": "sandbox-app-secret",
                                                        "X-AgreementGrantToken": "sandbox-grant"})
    assert (good.status_code, default.status_code) == (200, 401)


def test_demo_tokens_read_but_cannot_write(economic_sandbox: Any) -> None:
    demo = {"X-AppSecretToken": "demo", "X-AgreementGrantToken": "demo"}
    assert httpx.get(f"{economic_sandbox.url}/customers", headers=demo).status_code == 200
    write = httpx.post(f"{economic_sandbox.url}/customers", headers={**demo, "Content-Type": "application/json"}, content=b"{}")
    assert write.status_code == 403 and "read-only" in write.json()["message"]


def test_demo_query_keeps_demo_true_on_every_link(economic_sandbox: Any) -> None:
    body = httpx.get(f"{economic_sandbox.url}/customers?demo=true").json()
    assert body["collection"][0]["self"].endswith("/customers/1?demo=true")
    assert body["pagination"]["firstPage"].endswith("&demo=true")


def test_demo_write_status_is_a_switch(economic_sandbox_factory: Any) -> None:
    sandbox = economic_sandbox_factory({"demo_write_status": "401"})
    response = httpx.delete(f"{sandbox.url}/products/100", headers={"X-AppSecretToken": "demo", "X-AgreementGrantToken": "demo"})
    assert response.status_code == 401


def test_a_body_that_is_not_json_gets_415(economic_sandbox: Any) -> None:
    client = economic_sandbox.client()
    response = client.post("/customers", content=b"name=Joe", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json()["httpStatusCode"] == 415 and "Content-Type: application/json" in response.json()["developerHint"]


def test_malformed_json_gets_400(economic_sandbox: Any) -> None:
    response = economic_sandbox.client().post("/customers", content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["message"]


def test_unknown_paths_and_resources_get_404_bodies(economic_sandbox: Any) -> None:
    client = economic_sandbox.client()
    for path in ("/no-such-endpoint", "/customers/424242", "/invoices/booked/1"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert ERROR_KEYS <= set(response.json())


def test_verbs_an_endpoint_does_not_support_get_405(economic_sandbox: Any) -> None:
    client = economic_sandbox.client()
    response = client.put("/customers", json={"name": "x"})
    assert response.status_code == 405 and "PUT" in response.json()["message"]
    assert client.delete("/vat-zones/1").status_code == 405


def test_log_ids_differ_per_error(economic_sandbox: Any) -> None:
    first = httpx.get(f"{economic_sandbox.url}/self").json()["logId"]
    second = httpx.get(f"{economic_sandbox.url}/self").json()["logId"]
    assert first != second


def test_links_to_what_the_sandbox_does_not_serve_answer_501(economic_sandbox: Any) -> None:
    client = economic_sandbox.client()
    totals = client.get("/customers/1").json()["totals"]["self"]
    response = client.get(totals)
    assert response.status_code == 501 and response.json()["httpStatusCode"] == 501
