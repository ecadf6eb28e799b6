"""Totals validation and the rounding line (iex-features §7).

e-conomic recomputes VAT from net amounts, so its gross can differ from the shop's by a few øre.
Before booking we compare: equal is fine; a gross difference within the tolerance gets a line
with a VAT-free rounding product (or is accepted as is when no rounding product is set); a
larger difference, or VAT that differs beyond the tolerance, leaves the draft for a person to
look at and raises a DataError with both amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.errors import DataError

from connectors.economic.client import money, to_decimal
from connectors.economic.reference import number_of

DEFAULT_ROUNDING_TEXT = "Øreafrunding"


def rounding_line(data: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    return {
        "product": {"productNumber": str(data["rounding_product_number"])},
        "description": data.get("rounding_text") or DEFAULT_ROUNDING_TEXT,
        "quantity": Decimal(1),
        "unitNetPrice": amount,
    }


def rounding_amount_in(data: dict[str, Any], document: dict[str, Any]) -> Decimal | None:
    """The rounding line already on a document (after a crash, or an update), if any."""
    product = data.get("rounding_product_number")
    if product is None:
        return None
    text = data.get("rounding_text") or DEFAULT_ROUNDING_TEXT
    for line in document.get("lines") or []:
        if number_of(line.get("product"), "productNumber") == str(product) and line.get("description") == text:
            return to_decimal(line.get("unitNetPrice"))
    return None


def validate(
    data: dict[str, Any],
    draft: dict[str, Any],
    *,
    what: str,
    expected_gross: Decimal | None,
    expected_vat: Decimal | None,
    put_with_line: Callable[[dict[str, Any]], dict[str, Any]],
) -> tuple[dict[str, Any], Decimal | None]:
    """Compare the draft's totals with the source's; returns the (maybe updated) draft and the
    rounding amount added. ``what`` names the source total in messages ("order total")."""
    if expected_gross is None:
        return draft, rounding_amount_in(data, draft)
    tolerance = abs(to_decimal(data.get("tolerance")) or Decimal(0))
    number = draft.get("draftInvoiceNumber") or draft.get("orderNumber")
    left = f"draft {number} left for review"
    expected = (data.get("expected") or {})
    currency = expected.get("currency")
    if currency and draft.get("currency") and str(currency).upper() != str(draft["currency"]).upper():
        raise DataError(f"currency differs: e-conomic {draft['currency']}, {what} {currency}; {left}",
                        field_path="expected.currency")
    gross = money(draft.get("grossAmount"))
    vat = money(draft.get("vatAmount"))
    expected_gross = money(expected_gross)
    if expected_vat is not None:
        expected_vat = money(expected_vat)
        if abs(vat - expected_vat) > tolerance:
            raise DataError(
                f"VAT differs: e-conomic VAT {vat}, {what} VAT {expected_vat}, difference "
                f"{abs(vat - expected_vat)} > tolerance {tolerance}; {left}",
                field_path="expected.vat",
            )
    difference = expected_gross - gross
    if difference == 0:
        return draft, rounding_amount_in(data, draft)
    if abs(difference) > tolerance:
        raise DataError(
            f"totals differ: e-conomic gross {gross}, {what} {expected_gross}, difference "
            f"{abs(difference)} > tolerance {tolerance}; {left}",
            field_path="expected.gross",
        )
    if data.get("rounding_product_number") is None:
        return draft, None  # within tolerance and no rounding product: accepted as is
    already = rounding_amount_in(data, draft) or Decimal(0)
    amount = money(already + difference)
    updated = put_with_line(rounding_line(data, amount))
    if money(updated.get("grossAmount")) != expected_gross:
        raise DataError(
            f"after a rounding line of {amount} e-conomic gross is {money(updated.get('grossAmount'))}, "
            f"{what} {expected_gross}: rounding product {data['rounding_product_number']} must be VAT-free; {left}",
            field_path="rounding_product_number",
        )
    return updated, amount
