from datetime import date
from decimal import Decimal

import pytest

from engine.secrets import Secret
from engine.state import codec


def test_decimals_round_trip_exactly_and_keys_are_canonical():
    value = {"b": Decimal("10.50"), "a": [Decimal("-0.005"), 3, "x"], "c": Decimal("1E+2")}
    text = codec.dumps(value)
    assert text.index('"a"') < text.index('"b"')
    back = codec.loads(text)
    assert back["b"] == Decimal("10.50") and str(back["b"]) == "10.50"
    assert back["a"] == [Decimal("-0.005"), 3, "x"]
    assert back["c"] == 100


def test_registered_secrets_are_masked_in_strings_and_keys():
    secret = Secret("tok-abcdef-123")
    text = codec.dumps({"auth": f"Bearer {secret.reveal()}", secret.reveal(): 1, "s": secret})
    assert "tok-abcdef-123" not in text
    assert codec.loads(text)["auth"] == "Bearer ***"


def test_payload_hash_ignores_key_order_and_trailing_zeros_but_not_values():
    a = codec.payload_hash({"x": Decimal("1.50"), "y": "z"})
    assert a == codec.payload_hash({"y": "z", "x": Decimal("1.5")})
    assert a != codec.payload_hash({"y": "z", "x": Decimal("1.51")})


def test_floats_and_unknown_types_are_refused_dates_become_iso_text():
    with pytest.raises(TypeError, match="float"):
        codec.dumps({"amount": 1.5})
    with pytest.raises(TypeError, match="object"):
        codec.dumps({"x": object()})
    assert codec.loads(codec.dumps({"d": date(2024, 3, 1)})) == {"d": "2024-03-01"}


from hypothesis import example, given, strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.decimals(allow_nan=False, allow_infinity=False, places=None),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
@example(Decimal("-0"))
@example({"a": [Decimal("0E-7"), Decimal("1E+2")]})
def test_any_json_value_round_trips_with_the_same_numbers(value):
    back = codec.loads(codec.dumps(value, masked=False))
    assert codec.payload_hash(back) == codec.payload_hash(value)


def test_payload_hash_takes_any_json_number_exactly():
    huge = Decimal("1E+99999999999")  # valid JSON, beyond the default context's exponent range
    assert codec.payload_hash({"net": huge}) != codec.payload_hash({"net": Decimal("1E+99999999998")})
    long = Decimal("1.00000000000000000000000000001")  # 30 digits: never rounded to 28
    assert codec.payload_hash({"net": long}) != codec.payload_hash({"net": Decimal(1)})
    assert codec.payload_hash({"net": Decimal("100.00")}) == codec.payload_hash({"net": 100})


def test_a_lone_surrogate_is_stored_as_its_escape_and_reads_back():
    text = codec.dumps({"currency": "\ud800", "name": "Æble"})
    assert text == '{"currency":"\\ud800","name":"Æble"}'
    text.encode("utf-8")  # storable
    assert codec.loads(text) == {"currency": "\ud800", "name": "Æble"}
    assert codec.payload_hash({"currency": "\ud800"}) != codec.payload_hash({"currency": "\udc00"})
