"""The Stripe sandbox speaks Stripe's HTTP: list envelope, paging, auth and error bodies."""

from __future__ import annotations

import httpx

from connectors.stripe.sandbox import DEFAULT_SECRET_KEY

AUTH = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}


def test_list_envelope_and_paging(sandbox, made):
    ids = [made.payout([{"type": "charge", "amount": 100 * i}], created=1709251200 + i)["id"] for i in range(1, 4)]
    page = httpx.get(f"{sandbox.url}/v1/payouts", params={"limit": 2}, headers=AUTH).json()
    assert (page["object"], page["url"], page["has_more"]) == ("list", "/v1/payouts", True)
    assert [p["id"] for p in page["data"]] == ids[::-1][:2]          # newest first
    rest = httpx.get(f"{sandbox.url}/v1/payouts", params={"limit": 2, "starting_after": page["data"][-1]["id"]},
                     headers=AUTH).json()
    assert [p["id"] for p in rest["data"]] == [ids[0]] and rest["has_more"] is False


def test_missing_and_wrong_keys_answer_401_in_stripes_shape(sandbox):
    none = httpx.get(f"{sandbox.url}/v1/payouts")
    assert none.status_code == 401
    assert none.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in none.json()["error"]["message"]
    wrong = httpx.get(f"{sandbox.url}/v1/payouts", headers={"Authorization": "Bearer sk_test_0123456789abcdef"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"] == "Invalid API Key provided: sk_test_" + "*" * 12 + "cdef"


def test_basic_auth_with_the_key_as_user_works_too(sandbox):
    assert httpx.get(f"{sandbox.url}/v1/payouts", auth=(DEFAULT_SECRET_KEY, "")).status_code == 200


def test_the_api_version_is_checked_and_echoed(sandbox):
    ok = httpx.get(f"{sandbox.url}/v1/payouts", headers={**AUTH, "Stripe-Version": "2024-06-20"})
    assert ok.headers["stripe-version"] == "2024-06-20" and ok.headers["request-id"].startswith("req_")
    bad = httpx.get(f"{sandbox.url}/v1/payouts", headers={**AUTH, "Stripe-Version": "latest"})
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Invalid Stripe API version: latest"


def test_errors_name_the_parameter(sandbox):
    missing = httpx.get(f"{sandbox.url}/v1/payouts/po_nope", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"] | {"doc_url": None} == {
        "type": "invalid_request_error", "code": "resource_missing", "param": "id",
        "message": "No such payout: 'po_nope'", "doc_url": None}
    too_many = httpx.get(f"{sandbox.url}/v1/payouts", params={"limit": 101}, headers=AUTH)
    assert too_many.status_code == 400 and too_many.json()["error"]["param"] == "limit"


def test_expanding_the_source_shows_the_charge_and_its_metadata(sandbox, made):
    payout = made.payout([{"type": "charge", "amount": 5000, "charge_id": "ch_A", "metadata": {"order_id": "7"}}])
    plain = httpx.get(f"{sandbox.url}/v1/balance_transactions", params={"payout": payout["id"]}, headers=AUTH).json()
    assert {t["source"] for t in plain["data"]} == {"ch_A", payout["id"]}
    expanded = httpx.get(f"{sandbox.url}/v1/balance_transactions",
                         params={"payout": payout["id"], "expand[]": "data.source"}, headers=AUTH).json()
    charge = next(t for t in expanded["data"] if t["type"] == "charge")
    assert charge["source"]["metadata"] == {"order_id": "7"}


def test_admin_payout_validation_and_reset(sandbox, made):
    bad = httpx.post(f"{sandbox.url}/_sandbox/payouts", json={"transactions": [{"type": "refund", "amount": -1}]})
    assert bad.status_code == 400 and "charge_id" in bad.json()["error"]["message"]
    made.payout([{"type": "charge", "amount": 100}])
    assert httpx.post(f"{sandbox.url}/_sandbox/reset").status_code == 200
    assert httpx.get(f"{sandbox.url}/v1/payouts", headers=AUTH).json()["data"] == []
