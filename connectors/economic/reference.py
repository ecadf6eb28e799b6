"""Reference data read once per run: the agreement, VAT zones, payment terms, layouts, groups...

Numbers differ per agreement, and a wrong one is the customer's most common setup mistake. We
check them here, from the cache, before any POST: the customer gets "payment terms 99 does not
exist (known: 1, 2, 3)" instead of a draft half-made, and e-conomic's fair-use budget is spared.
"""

from __future__ import annotations

from typing import Any

from engine.errors import DataError

from connectors.economic.client import EconomicApi

# kind -> (collection path, key property, what the customer calls it)
KINDS: dict[str, tuple[str, str, str]] = {
    "vat_zones": ("/vat-zones", "vatZoneNumber", "VAT zone"),
    "payment_terms": ("/payment-terms", "paymentTermsNumber", "payment terms"),
    "layouts": ("/layouts", "layoutNumber", "layout"),
    "customer_groups": ("/customer-groups", "customerGroupNumber", "customer group"),
    "product_groups": ("/product-groups", "productGroupNumber", "product group"),
    "units": ("/units", "unitNumber", "unit"),
    "currencies": ("/currencies", "code", "currency"),
    "accounting_years": ("/accounting-years", "year", "accounting year"),
    "journals": ("/journals", "journalNumber", "journal"),
}


class Reference:
    """Lazy, per-run cache of one agreement's reference lists (one GET per list per run)."""

    def __init__(self, api: EconomicApi) -> None:
        self.api = api
        self._store = api.bucket("reference")

    def agreement(self) -> dict[str, Any]:
        """``/self``: agreement number, base currency, modules."""
        with self.api.lock_for("reference", "self"):
            if "self" not in self._store:
                self._store["self"] = self.api.get("/self")
            return self._store["self"]

    def base_currency(self) -> str:
        return str((self.agreement().get("settings") or {}).get("baseCurrency") or "DKK")

    def items(self, kind: str) -> dict[Any, dict[str, Any]]:
        path, key, _ = KINDS[kind]
        with self.api.lock_for("reference", kind):
            if kind not in self._store:
                self._store[kind] = {_normal(kind, item.get(key)): item for item in self.api.iterate(path)}
            return self._store[kind]

    def get(self, kind: str, number: Any) -> dict[str, Any] | None:
        return self.items(kind).get(_normal(kind, number))

    def require(self, kind: str, number: Any, field_path: str) -> dict[str, Any]:
        """The item, or a DataError naming the field and the numbers that do exist."""
        item = self.get(kind, number)
        if item is not None:
            return item
        label = KINDS[kind][2]
        known = ", ".join(str(k) for k in sorted(self.items(kind), key=str)[:30]) or "none"
        raise DataError(f"{label} {number} does not exist in e-conomic (known: {known})", field_path=field_path)

    def accounting_year_for(self, date: str, field_path: str) -> str:
        """The accounting year (e.g. ``"2024"`` or ``"2023/2024"``) whose period holds ``date``."""
        for year, item in self.items("accounting_years").items():
            if str(item.get("fromDate", "")) <= date <= str(item.get("toDate", "")):
                return str(year)
        raise DataError(f"no accounting year in e-conomic covers {date}", field_path=field_path)


def _normal(kind: str, value: Any) -> Any:
    """Keys as compared: currency codes upper-case, years as text, numbers as int."""
    if value is None:
        return None
    if kind == "currencies":
        return str(value).upper()
    if kind == "accounting_years":
        return str(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def number_of(obj: Any, key: str) -> Any:
    """``{"paymentTermsNumber": 1}`` -> 1; tolerate a bare number too."""
    if isinstance(obj, dict):
        return obj.get(key)
    return obj
