from decimal import Decimal

from engine.runner.support import idempotency_key, record_key_text, reference_of


def test_idempotency_key_is_readable_and_bounded():
    assert idempotency_key("shop", "orders", "1001", "invoice") == "shop/orders/1001/invoice"
    long = idempotency_key("shop", "orders", "x" * 200, "invoice")
    assert len(long) == 100 and long.startswith("shop/orders/xxx")
    assert long != idempotency_key("shop", "orders", "x" * 201, "invoice")


def test_record_keys_as_text():
    assert record_key_text(1001) == "1001"
    assert record_key_text(Decimal("1001.0")) == "1001"
    assert record_key_text(Decimal("10.50")) == "10.50"
    assert record_key_text("  A-7 ") == "A-7"
    assert [record_key_text(v) for v in (None, "", True, [1], {"a": 1})] == [None] * 5


def test_reference_prefers_reference_then_number_then_id():
    assert reference_of({"reference": "orders.jsonl#k", "number": 5}) == "orders.jsonl#k"
    assert reference_of({"number": 5, "id": 9}) == "5"
    assert reference_of({"id": 9}) == "9"
    assert reference_of({"self": {"number": 1}}) is None and reference_of([1]) is None
