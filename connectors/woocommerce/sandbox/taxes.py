"""The sandbox shop's tax rates, as WooCommerce > Settings > Tax would hold them.

A Danish shop selling under the EU one-stop shop (OSS) has one standard rate per destination
country. WooCommerce identifies a rate by its numeric id; order lines only carry that id
(`taxes[].id`), and the order's `tax_lines` name it (`rate_code`, `label`, `rate_percent`).
Rates change over time; these are the standard rates in force 2025 (Finland 25.5 % since
1 Sept 2024), enough for realistic OSS orders, not a reference table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class TaxRate:
    rate_id: int
    country: str
    percent: Decimal
    label: str

    @property
    def rate_code(self) -> str:
        # WooCommerce builds it as COUNTRY-STATE-NAME-PRIORITY, leaving out an empty state
        return f"{self.country}-{self.label.upper().rstrip('.')}-1"

    @property
    def fraction(self) -> Decimal:
        return self.percent / Decimal(100)


RATES: dict[str, TaxRate] = {
    rate.country: rate
    for rate in (
        TaxRate(1, "DK", Decimal("25"), "Moms"),
        TaxRate(2, "DE", Decimal("19"), "MwSt."),
        TaxRate(3, "SE", Decimal("25"), "Moms"),
        TaxRate(4, "FR", Decimal("20"), "TVA"),
        TaxRate(5, "NL", Decimal("21"), "BTW"),
        TaxRate(6, "FI", Decimal("25.5"), "ALV"),
        TaxRate(7, "IT", Decimal("22"), "IVA"),
        TaxRate(8, "ES", Decimal("21"), "IVA"),
    )
}

BASE = RATES["DK"]  # the shop's base location: Denmark

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


def rate_for(country: str, *, vat_exempt: bool) -> TaxRate | None:
    """The rate WooCommerce would apply for a billing country, or None when no tax applies
    (non-EU export, or an EU business with a validated VAT number: reverse charge)."""
    if vat_exempt or country not in EU_COUNTRIES:
        return None
    if country not in RATES:
        raise ValueError(f"the sandbox shop has no OSS tax rate for {country}")
    return RATES[country]
