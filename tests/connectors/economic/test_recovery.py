"""What happens when things go wrong: lost answers (exactly once through the finders), rejected
credentials, rate limits and server errors (retried), and what repeat business costs in calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from engine.errors import ConfigError, TransientError
from engine.secrets import Secret

from connectors.economic.connector import EconomicConnector
from connectors.economic.testing import Probe, context, sandbox_connector




def customer_step(email: str) -> dict[str, Any]:
    return {"match": {"field": "email", "value": email}, "customer": {
        "name": email.split("@")[0], "currency": "DKK", "customerGroup": {"customerGroupNumber": 4},
        "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}}}


def invoice(reference: str, customer: int, **extra: Any) -> dict[str, Any]:
    return {"date": dt.date.today().isoformat(), "currency": "DKK", "customer": {"customerNumber": customer},
            "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
            "recipient": {"name": "Kunde", "vatZone": {"vatZoneNumber": 1}}, "references": {"other": reference},
            "lines": [{"product": {"productNumber": "100"}, "description": "T-shirt", "quantity": D("1"),
                       "unitNetPrice": D("159.20")},
                      {"product": {"productNumber": "FRAGT"}, "description": "Fragt", "quantity": D("1"),
                       "unitNetPrice": D("39.20")}],
            "book": True, "expected": {"gross": D("248.00")}, "tolerance": D("0.10"), **extra}


def order_flow(eco: EconomicConnector, key: str, email: str) -> dict[str, Any]:
    """The steps a webshop order goes through: customer, products, invoice."""
    customer = eco.find_or_create_customer(customer_step(email), context(f"{key}/customer"))
    for number in ("100", "FRAGT"):
        eco.ensure_product({"productNumber": number, "name": number, "productGroupNumber": 1}, context(f"{key}/{number}"))
    return eco.create_invoice(invoice(f"woo-{key}", customer["customerNumber"]), context(f"{key}/invoice"))


def test_a_second_order_for_a_known_customer_costs_only_the_invoice_calls(eco: EconomicConnector, probe: Probe) -> None:
    order_flow(eco, "5001", "kunde@example.dk")
    before = probe.calls()
    order_flow(eco, "5002", "kunde@example.dk")
    after = probe.calls()
    spent = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
    assert spent == {"POST /invoices/drafts": 1, "POST /invoices/booked": 1}
    assert eco.runtime.metrics["http.economic"] == probe.total_calls()


def test_a_lost_answer_to_the_draft_post_is_resumed_by_the_finder(eco: EconomicConnector, probe: Probe) -> None:
    order_flow(eco, "5101", "a@example.dk")             # warm the caches: the next request is the POST
    data = invoice("woo-5102", 1)
    probe.faults(fault_rate=1.0, kinds=["drop_after"])
    with pytest.raises(TransientError) as caught:
        eco.create_invoice(data, context("5102/invoice"))
    probe.faults()
    assert caught.value.details["maybe_applied"] is True
    assert len(probe.collection("/invoices/drafts", filter="references.other$eq:woo-5102")) == 1  # it did happen

    found = eco.find_effect("create_invoice", data, context("5102/invoice"))
    assert found is not None and found["booked"] is True
    assert len(probe.collection("/invoices/booked", filter="references.other$eq:woo-5102")) == 1
    assert probe.collection("/invoices/drafts", filter="references.other$eq:woo-5102") == []


def test_a_lost_answer_to_the_booking_is_found_and_not_booked_twice(eco: EconomicConnector, probe: Probe) -> None:
    order_flow(eco, "5201", "b@example.dk")
    data = invoice("woo-5202", 1)
    client = eco.api.rest
    send = client.post

    def post_losing_the_booking_answer(path: str, **kw: Any) -> Any:
        if path == "/invoices/booked":
            probe.faults(fault_rate=1.0, kinds=["drop_after"])
        return send(path, **kw)

    client.post = post_losing_the_booking_answer  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        eco.create_invoice(data, context("5202/invoice"))
    client.post = send  # type: ignore[method-assign]
    probe.faults()

    found = eco.find_effect("create_invoice", data, context("5202/invoice"))
    assert found is not None and found["booked"] is True and found["grossAmount"] == D("248.00")
    assert len(probe.collection("/invoices/booked", filter="references.other$eq:woo-5202")) == 1


def test_rejected_credentials_are_a_config_error_without_the_token(economic_sandbox: Any) -> None:
    wrong = "not-the-grant-0123456789"
    eco = sandbox_connector(economic_sandbox.url, agreement_grant_token=Secret(wrong, "${env:GRANT}"))
    with pytest.raises(ConfigError) as caught:
        eco.find_or_create_customer(customer_step("c@example.dk"), context("x"))
    assert "HTTP 401" in str(caught.value)
    assert wrong not in str(caught.value) and "sandbox-app-secret" not in str(caught.value)
    eco.close()


@pytest.mark.parametrize("kind", ["429", "500", "503"])
def test_rate_limits_and_server_errors_on_reads_are_retried(eco: EconomicConnector, probe: Probe, kind: str) -> None:
    probe.faults(fault_rate=0.5, kinds=[kind], seed=3, retry_after=0)
    for kind_of_data in ("layouts", "units", "vat_zones", "payment_terms", "currencies"):
        assert eco.ref.items(kind_of_data)  # each list arrives whole despite the faults
    result = eco.find_or_create_customer(customer_step("bogholderi@tojco.dk"), context("y"))
    assert result["customerNumber"] == 1
    assert eco.runtime.metrics["http.economic.retries"] >= 1


def test_a_post_cut_before_it_reached_e_conomic_is_not_found_and_sent_again_once(eco: EconomicConnector, probe: Probe) -> None:
    order_flow(eco, "5301", "d@example.dk")
    data = invoice("woo-5302", 1)
    probe.faults(fault_rate=1.0, kinds=["drop"])
    with pytest.raises(TransientError):
        eco.create_invoice(data, context("5302/invoice"))
    probe.faults()
    assert eco.find_effect("create_invoice", data, context("5302/invoice")) is None  # nothing happened
    eco.create_invoice(data, context("5302/invoice"))                              # so the runner sends it again
    assert len(probe.collection("/invoices/booked", filter="references.other$eq:woo-5302")) == 1


def test_a_rate_limited_post_is_retried_because_it_never_reached_e_conomic(eco: EconomicConnector, probe: Probe) -> None:
    order_flow(eco, "5401", "e@example.dk")
    probe.faults(fault_rate=0.5, kinds=["429"], seed=11, retry_after=0)
    result = eco.create_invoice(invoice("woo-5402", 1), context("5402/invoice"))
    probe.faults()
    assert result["booked"] is True
    assert len(probe.collection("/invoices/booked", filter="references.other$eq:woo-5402")) == 1
    assert eco.runtime.metrics["http.economic.retries"] >= 1


def test_a_role_that_may_not_write_is_a_config_error(economic_sandbox: Any) -> None:
    # The demo tokens are read-only, like an app whose role lacks the right: e-conomic answers 403.
    eco = sandbox_connector(economic_sandbox.url, app_secret_token=Secret("demo"), agreement_grant_token=Secret("demo"))
    assert eco.find_or_create_customer({"common_customer_number": 1}, context("r"))["customerNumber"] == 1
    with pytest.raises(ConfigError, match="HTTP 403"):
        eco.find_or_create_customer(customer_step("new@example.dk"), context("w"))
    eco.close()


def test_a_product_whose_create_answer_was_lost_is_used_by_the_next_order_of_the_run(
        eco: EconomicConnector, probe: Probe) -> None:
    product = {"productNumber": "AFRUND", "name": "Øreafrunding", "productGroupNumber": 2}
    eco.ensure_product({**product, "productNumber": "WARM"}, context("6000/products"))   # reference data read
    assert eco.find_effect("ensure_product", product, context("6001/products")) is None   # the miss is cached
    probe.faults(fault_rate=1.0, kinds=["drop_after"])
    with pytest.raises(TransientError):
        eco.ensure_product(product, context("6001/products"))
    probe.faults()
    again = eco.ensure_product(product, context("6002/products"))            # another order, same run
    assert again["productNumber"] == "AFRUND"
    assert len(probe.collection("/products", filter="productNumber$eq:AFRUND")) == 1


def test_a_contact_whose_create_answer_was_lost_is_not_made_twice(eco: EconomicConnector, probe: Probe) -> None:
    step = {**customer_step("ean@example.dk"), "contact": {"name": "Jens Hansen"}}
    customer = eco.find_or_create_customer(customer_step("ean@example.dk"), context("6101/customer"))
    eco.find_or_create_customer({**step, "contact": {"name": "Someone Else"}}, context("6100/customer"))  # list read
    probe.faults(fault_rate=1.0, kinds=["drop_after"])
    with pytest.raises(TransientError):
        eco.find_or_create_customer(step, context("6101/customer"))
    probe.faults()
    found = eco.find_or_create_customer(step, context("6102/customer"))
    contacts = probe.collection(f"/customers/{customer['customerNumber']}/contacts")
    assert sorted(c["name"] for c in contacts) == ["Jens Hansen", "Someone Else"]
    jens = next(c for c in contacts if c["name"] == "Jens Hansen")
    assert found["contactNumber"] == jens["customerContactNumber"]
