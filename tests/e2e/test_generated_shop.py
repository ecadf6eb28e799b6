"""200 generated orders (seed 7) through the woocommerce-economic recipe with default settings:
what e-conomic holds afterwards, what was dead-lettered, and a second run that sends nothing."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from connectors.woocommerce.sandbox.taxes import RATES

TOLERANCE = Decimal("0.10")
STATUSES = {"processing", "completed", "refunded"}


def _money(value):
    return Decimal(str(value))


def _reference(flow: str, key: str, step: str) -> str:
    return f"webshop/{flow}/{key}/{step}"


def _meta(order, key):
    return next((m["value"] for m in order["meta_data"] if m["key"] == key), "")


def _rounding(document) -> Decimal:
    return sum((_money(line["totalNetAmount"]) for line in document["lines"]
                if line["product"]["productNumber"] == "AFRUND"), Decimal(0))


def _booked(generated):
    return generated.booked()


def _valid_orders(generated):
    broken = generated.broken()
    for order in generated.shop.orders():
        if order["status"] in STATUSES and (str(order["id"]) not in broken or broken[str(order["id"])] == "total-off-0.03"):
            yield order


def test_every_valid_order_is_one_booked_invoice_with_the_orders_gross_and_vat(generated):
    booked = _booked(generated)
    orders = list(_valid_orders(generated))
    assert len(orders) > 150
    for order in orders:
        found = booked.get(_reference("orders", str(order["id"]), "invoice"), [])
        assert len(found) == 1, f"order {order['id']}: {len(found)} booked invoices"
        invoice = found[0]
        assert invoice["currency"] == order["currency"]
        assert _money(invoice["grossAmount"]) == _money(order["total"]), order["id"]
        assert abs(_money(invoice["vatAmount"]) - _money(order["total_tax"])) <= TOLERANCE, order["id"]
        assert abs(_rounding(invoice)) <= TOLERANCE
        assert invoice["notes"]["heading"].startswith(f"Ordre {order['number']}")


def test_differences_within_the_tolerance_become_one_rounding_line(generated):
    booked = _booked(generated)
    broken = generated.broken()
    [off] = [o for o in generated.shop.orders() if broken.get(str(o["id"])) == "total-off-0.03"][:1]
    [invoice] = booked[_reference("orders", str(off["id"]), "invoice")]
    [line] = [li for li in invoice["lines"] if li["product"]["productNumber"] == "AFRUND"]
    assert (line["description"], _money(line["totalNetAmount"]), _money(line["vatAmount"])) == (
        "Øreafrunding", Decimal("0.03"), Decimal("0.00"))


def test_each_refund_is_a_booked_credit_note_equal_to_the_refund(generated):
    booked = _booked(generated)
    invoices = {_money(doc["bookedInvoiceNumber"]): doc for docs in booked.values() for doc in docs}
    refunds = generated.shop.refunds()
    assert len(refunds) >= 10
    for refund in refunds:
        [note] = booked[_reference("refunds", f"refund-{refund['id']}", "credit_note")]
        assert _money(note["grossAmount"]) == -_money(refund["amount"]), refund["id"]
        taxes = [_money(item["total_tax"]) for kind in ("line_items", "shipping_lines", "fee_lines")
                 for item in refund.get(kind) or []]
        if taxes:  # a refund of lines: its VAT as the shop computed it
            assert abs(_money(note["vatAmount"]) - sum(taxes)) <= TOLERANCE
        order_ref = _reference("orders", str(refund["order_id"]), "invoice")
        [invoice] = booked[order_ref]
        assert note["customer"]["customerNumber"] == invoice["customer"]["customerNumber"]
        assert note["notes"]["heading"].startswith(f"Kreditnota for faktura {invoice['bookedInvoiceNumber']} · ordre ")
        assert _money(invoice["bookedInvoiceNumber"]) in invoices


def test_amount_only_refunds_use_the_refund_product_or_the_oss_product(generated):
    booked = _booked(generated)
    amount_only = [r for r in generated.shop.refunds() if not r["line_items"] and not r.get("shipping_lines")]
    assert amount_only
    for refund in amount_only:
        [note] = booked[_reference("refunds", f"refund-{refund['id']}", "credit_note")]
        [line] = note["lines"][:1]
        assert line["product"]["productNumber"] == "REFUSION" or line["product"]["productNumber"].startswith("OSS-")


def test_broken_orders_are_dead_lettered_with_a_field_path_and_the_run_goes_on(generated):
    broken = generated.broken()
    letters = generated.integration.dead_letters()
    assert letters and all(letter.record_key in broken for letter in letters)
    kinds = {broken[letter.record_key]: letter for letter in letters}
    assert set(kinds) == {"missing-sku", "negative-quantity", "total-off-5.00"}
    assert kinds["missing-sku"].field_path.startswith("lines[") and kinds["missing-sku"].field_path.endswith(".product.productNumber")
    assert "has no SKU and no default product is set" in kinds["missing-sku"].message
    assert kinds["negative-quantity"].field_path.startswith("lines[") and kinds["negative-quantity"].field_path.endswith(".quantity")
    assert kinds["total-off-5.00"].field_path == "expected.gross"
    assert "difference 5.00 > tolerance 0.10" in kinds["total-off-5.00"].message
    assert "left for review" in kinds["total-off-5.00"].message
    assert all(letter.who.startswith("customer") for letter in letters)
    counts = generated.first.flows["webshop/orders"]
    assert sum(counts.done.values()) > 150 and counts.pending == 0 and not counts.stopped


def test_eu_companies_are_reverse_charged_at_zero(generated):
    booked = _booked(generated)
    companies = [o for o in _valid_orders(generated) if _meta(o, "_billing_vat_number") and o["billing"]["country"] != "DK"]
    assert companies
    for order in companies:
        [invoice] = booked[_reference("orders", str(order["id"]), "invoice")]
        assert invoice["recipient"]["vatZone"]["vatZoneNumber"] == 2
        assert _money(invoice["vatAmount"]) == 0
        assert not any(li["product"]["productNumber"].startswith("OSS-") for li in invoice["lines"])


def test_eu_consumers_pay_their_countrys_rate_on_the_oss_products(generated):
    booked = _booked(generated)
    consumers = [o for o in _valid_orders(generated) if o["billing"]["country"] in RATES
                 and o["billing"]["country"] != "DK" and not _meta(o, "_billing_vat_number")]
    assert len({o["billing"]["country"] for o in consumers}) >= 4
    for order in consumers:
        country = order["billing"]["country"]
        [invoice] = booked[_reference("orders", str(order["id"]), "invoice")]
        assert invoice["recipient"]["vatZone"]["vatZoneNumber"] == 2
        taxed = [li for li in invoice["lines"] if li["product"]["productNumber"] != "AFRUND"]
        assert {li["product"]["productNumber"] for li in taxed} == {f"OSS-{country}"}
        assert {_money(li["vatRate"]) for li in taxed} == {RATES[country].percent}
        skus = {item["sku"] for item in order["line_items"]}
        assert skus <= {li["description"].split(" ")[0] for li in taxed}   # the SKU stays in the text


def test_buyers_outside_the_eu_are_export_sales(generated):
    booked = _booked(generated)
    abroad = [o for o in _valid_orders(generated) if o["billing"]["country"] in ("NO", "GB", "US")]
    assert abroad
    for order in abroad:
        [invoice] = booked[_reference("orders", str(order["id"]), "invoice")]
        assert (invoice["recipient"]["vatZone"]["vatZoneNumber"], _money(invoice["vatAmount"])) == (3, 0)


def test_customers_are_matched_not_duplicated(generated):
    customers = generated.economic.customers()
    by_cvr = Counter(c.get("corporateIdentificationNumber") for c in customers if c.get("corporateIdentificationNumber"))
    by_vat = Counter(c.get("vatNumber") for c in customers if c.get("vatNumber"))
    by_email = Counter(c.get("email", "").lower() for c in customers
                       if c.get("email") and not c.get("corporateIdentificationNumber") and not c.get("vatNumber"))
    assert max(by_cvr.values()) == 1 and max(by_vat.values()) == 1 and max(by_email.values()) == 1
    eans = [c for c in customers if c.get("ean")]
    assert eans and all(c["customerGroup"]["customerGroupNumber"] == 1 for c in eans)


def test_ean_invoices_carry_the_ean_and_the_buyers_references_and_are_sent(generated):
    booked = _booked(generated)
    public = [o for o in _valid_orders(generated) if _meta(o, "_billing_ean")]
    assert public
    sent = {doc["bookedInvoiceNumber"] for doc in generated.economic.probe.collection("/invoices/sent")}
    for order in public:
        [invoice] = booked[_reference("orders", str(order["id"]), "invoice")]
        assert invoice["bookedInvoiceNumber"] in sent                       # through NemHandel
        assert invoice["recipient"]["attention"]["customerContactNumber"] > 0
        assert invoice["recipient"]["ean"] == _meta(order, "_billing_ean")
        assert _meta(order, "_billing_po_number") in invoice["notes"]["heading"]
        assert _meta(order, "_billing_ean_reference") in invoice["notes"]["heading"]


def test_paymatch_finds_invoices_by_order_number_and_transaction(generated):
    entries = generated.integration.ledger("orders", "invoice")
    orders = {str(o["id"]): o for o in _valid_orders(generated)}
    paid = [key for key, order in orders.items() if order["transaction_id"]]
    assert paid
    for key in paid:
        refs = entries[key].refs
        assert (refs["order_number"], refs["transaction_id"]) == (orders[key]["number"], orders[key]["transaction_id"])
        assert entries[key].result["booked"] is True


def test_the_second_run_sends_nothing(generated):
    assert all(method == "GET" for method in (k.split(" ")[0] for k in generated.calls_second)), generated.calls_second
    for counts in generated.second.flows.values():
        assert sum(counts.done.values()) == 0 and counts.updated == 0 and not counts.dead
