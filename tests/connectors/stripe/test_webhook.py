"""Stripe-Signature: HMAC of "t.body", any v1 may match, 300 s tolerance, raw bytes only."""

from __future__ import annotations

import json
import time

import pytest

from engine.connector import Runtime
from engine.secrets import Secret

from connectors.stripe import StripeConnector
from connectors.stripe.webhook import SignatureError, sign, verify

SECRET = "whsec_test_secret_for_signatures"
BODY = json.dumps({"id": "evt_1", "type": "payout.paid", "data": {"object": {
    "id": "po_1", "object": "payout", "amount": 12345, "currency": "dkk", "arrival_date": 1709856000,
    "status": "paid"}}}).encode()


def _connector(secret: str | None = SECRET) -> StripeConnector:
    settings = {"secret_key": Secret("sk_test_x", "${env:K}")}
    if secret:
        settings["webhook_secret"] = Secret(secret, "${env:W}")
    return StripeConnector(settings, Runtime())


def test_a_signed_payout_event_becomes_a_payout_record():
    result = _connector().handle_webhook({"Stripe-Signature": sign(BODY, SECRET, int(time.time()))}, BODY)
    assert (result.status, result.stream) == (200, "payouts")
    assert [(r.key, str(r.data["amount"])) for r in result.records] == [("po_1", "123.45")]


def test_any_v1_may_match_while_a_secret_is_rolled():
    now = int(time.time())
    header = f"t={now},v1={'0' * 64},{sign(BODY, SECRET, now).split(',')[1]},v0=ignored"
    assert verify(header, BODY, SECRET) == now


@pytest.mark.parametrize(("header", "message"), [
    (None, "missing Stripe-Signature header"),
    ("v1=abc", "no timestamp"),
    ("t=123", "no v1 signature"),
    ("t=abc,v1=abc", "not a number"),
])
def test_malformed_headers(header, message):
    with pytest.raises(SignatureError, match=message):
        verify(header, BODY, SECRET)


def test_a_changed_body_or_another_secret_is_refused():
    now = int(time.time())
    header = sign(BODY, SECRET, now)
    with pytest.raises(SignatureError, match="does not match"):
        verify(header, BODY.replace(b"12345", b"99999"), SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        verify(header, BODY, "whsec_other")


def test_old_deliveries_are_refused_after_300_seconds():
    now = 1_700_000_000
    header = sign(BODY, SECRET, now - 301)
    with pytest.raises(SignatureError, match="more than 300 s"):
        verify(header, BODY, SECRET, now=now)
    assert verify(sign(BODY, SECRET, now - 299), BODY, SECRET, now=now) == now - 299


def test_refusals_answer_400_and_name_no_secret():
    result = _connector().handle_webhook({"stripe-signature": sign(BODY, "whsec_wrong", int(time.time()))}, BODY)
    assert result.status == 400 and result.records == []
    assert SECRET not in result.message


def test_without_a_webhook_secret_nothing_is_accepted():
    result = _connector(None).handle_webhook({"Stripe-Signature": sign(BODY, SECRET, int(time.time()))}, BODY)
    assert result.status == 401 and "webhook_secret" in result.message


def test_other_events_are_acknowledged_without_records():
    body = json.dumps({"id": "evt_2", "type": "charge.succeeded", "data": {"object": {"object": "charge"}}}).encode()
    result = _connector().handle_webhook({"Stripe-Signature": sign(body, SECRET, int(time.time()))}, body)
    assert (result.status, result.records) == (200, [])
