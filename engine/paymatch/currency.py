"""Currency exponents (ISO 4217 minor units), for amounts sent as integers of minor units."""

from __future__ import annotations

from decimal import Decimal

ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's major unit (2 unless listed)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def from_minor(units: int | Decimal, currency: str) -> Decimal:
    """``12345`` DKK -> ``Decimal('123.45')``; exact (a shift of the exponent, no division)."""
    return Decimal(units).scaleb(-exponent(currency))
