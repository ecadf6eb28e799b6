"""Customers: match by a chosen field, create or update as the customer allowed, cache per run.

A customer is found through this run's index (``customer_index``: single filtered lookups, or
one paged listing once a run meets enough buyers); a customer seen once in a run costs no
further call. Creation and per-field updates are switched separately, as customers expect from
IEX (iex-features §5). With ``contact`` the customer's contact person
is found by name or created (``contacts``), and its number returned as ``contactNumber``.
"""

from __future__ import annotations

from typing import Any

from engine.connector import ActionContext
from engine.errors import ConfigError, DataError

from connectors.economic import customer_index
from connectors.economic.client import EconomicApi
from connectors.economic.contacts import ensure_contact
from connectors.economic.customer_index import MATCH_FIELDS, normal
from connectors.economic.documents import prune
from connectors.economic.reference import Reference, number_of

REQUIRED_ON_CREATE = ("name", "currency", "customerGroup", "paymentTerms", "vatZone")
# Properties e-conomic computes or links; left out of a PUT (the whole document is replaced).
READ_ONLY = ("balance", "dueAmount", "lastUpdated", "contacts", "deliveryLocations", "invoices", "templates",
             "totals", "self", "metaData", "eInvoicingDisabledByDefault")
# Nested references and the key that identifies each.
REFERENCES = {"customerGroup": ("customer_groups", "customerGroupNumber"),
              "paymentTerms": ("payment_terms", "paymentTermsNumber"),
              "vatZone": ("vat_zones", "vatZoneNumber"),
              "layout": ("layouts", "layoutNumber")}


def find_or_create_customer(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    result = _find_or_create(api, ref, data)
    if data.get("contact"):
        result["contactNumber"] = ensure_contact(api, result["customerNumber"], data["contact"])
    return result


def _find_or_create(api: EconomicApi, ref: Reference, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("common_customer_number") is not None:
        return _common_customer(api, data["common_customer_number"])
    field, value = _match_of(data)
    key = (field, normal(field, value))
    with api.lock_for("customer", *key):
        existing = customer_index.lookup(api, field, value)
        if existing is None:
            if not data.get("create", True):
                raise DataError(
                    f"no e-conomic customer has {field} {value!s} and creating customers is switched off",
                    field_path=f"match.{field}",
                )
            return _create(api, ref, data, field, value)
        return _update(api, ref, data, existing, key)


def find_customer(api: EconomicApi, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: the customer the same match finds now in e-conomic itself (never this run's
    index, which may predate the create), with its contact; None when either is missing (the
    action then makes what is missing)."""
    if data.get("common_customer_number") is not None:
        result = _common_customer(api, data["common_customer_number"])
    else:
        field, value = _match_of(data)
        existing = customer_index.ask(api, field, value)
        if existing is None:
            return None
        result = _result(existing, created=False, updated=[])
    if data.get("contact"):
        result["contactNumber"] = ensure_contact(api, result["customerNumber"], data["contact"], create=False)
        if result["contactNumber"] is None:
            return None
    return result


def _match_of(data: dict[str, Any]) -> tuple[str, Any]:
    match = data.get("match") or {}
    field = match.get("field")
    if field not in MATCH_FIELDS:
        raise DataError(f"customer match field {field!r} is not one of {', '.join(MATCH_FIELDS)}",
                        field_path="match.field")
    value = match.get("value")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(f"the customer's {field} is empty, so no customer can be matched", field_path="match.value")
    if field == "customerNumber":
        try:
            return field, int(value)
        except (TypeError, ValueError):
            raise DataError(f"customerNumber {value!s} is not a number", field_path="match.value") from None
    return field, str(value).strip()


def _common_customer(api: EconomicApi, number: Any) -> dict[str, Any]:
    found = customer_index.lookup(api, "customerNumber", int(number))
    if found is None:
        raise ConfigError(f"the common customer {number} does not exist in e-conomic; create it or fix the setting",
                          field_path="common_customer_number")
    return _result(found, created=False, updated=[])


def _check_references(ref: Reference, body: dict[str, Any]) -> None:
    for name, (kind, key) in REFERENCES.items():
        if body.get(name) is not None:
            ref.require(kind, number_of(body[name], key), f"customer.{name}.{key}")
    if body.get("currency"):
        ref.require("currencies", body["currency"], "customer.currency")


def _create(api: EconomicApi, ref: Reference, data: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    body = prune(dict(data.get("customer") or {}))
    body.setdefault(field, value)
    missing = [name for name in REQUIRED_ON_CREATE if body.get(name) in (None, "", {})]
    if missing:
        raise DataError(f"cannot create the customer: {', '.join(missing)} missing", field_path=f"customer.{missing[0]}")
    _check_references(ref, body)
    index = customer_index.index_of(api)
    key = (field, normal(field, value))
    try:
        created = api.post("/customers", body)
    except Exception:
        index.doubt(key)      # the answer may be lost after the customer was made: ask next time
        raise
    if api.dry_run:
        created = {**body, **{k: v for k, v in created.items() if k == "customerNumber"}}
    index.remember(created, key=key)
    return _result(created, created=True, updated=[])


def _same(field: str, old: Any, new: Any) -> bool:
    if field in REFERENCES:
        key = REFERENCES[field][1]
        return number_of(old, key) == number_of(new, key)
    if isinstance(old, str) or isinstance(new, str):
        return str(old or "").strip() == str(new or "").strip()
    return old == new


def _update(api: EconomicApi, ref: Reference, data: dict[str, Any], existing: dict[str, Any],
            key: tuple[str, Any]) -> dict[str, Any]:
    """PUT only what the customer allowed and what really differs from what e-conomic holds
    (``_same`` compares in the form the create sent, so an unchanged buyer costs nothing)."""
    wanted = prune(data.get("customer") or {})
    changes = {f: wanted[f] for f in data.get("update_fields") or []
               if f in wanted and f != "customerNumber" and not _same(f, existing.get(f), wanted[f])}
    if not changes:
        return _result(existing, created=False, updated=[])
    _check_references(ref, changes)
    document = {k: v for k, v in existing.items() if k not in READ_ONLY}
    document.update(changes)
    index = customer_index.index_of(api)
    try:
        saved = api.put(f"/customers/{existing['customerNumber']}", document)
    except Exception:
        index.doubt(key)      # it may have been applied: compare with e-conomic's copy next time
        raise
    if api.dry_run:
        saved = document
    index.remember(saved)
    return _result(saved, created=False, updated=sorted(changes))


def _result(customer: dict[str, Any], *, created: bool, updated: list[str]) -> dict[str, Any]:
    return {
        "customerNumber": customer.get("customerNumber"),
        "created": created,
        "updated": updated,
        "name": customer.get("name"),
        "currency": customer.get("currency"),
        "vatZoneNumber": number_of(customer.get("vatZone"), "vatZoneNumber"),
        "paymentTermsNumber": number_of(customer.get("paymentTerms"), "paymentTermsNumber"),
        "ean": customer.get("ean"),
    }
