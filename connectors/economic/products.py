"""Products: make sure an invoice line's product exists, creating or updating as allowed.

Products are matched on their number (the shop's SKU). e-conomic keys are strings of at most 25
characters and appear in URLs with the self-link encoding (``client.encode_key``). When a
product is missing and creating is off, a "default product" can stand in (iex-features §2).
``ensure_products`` does the same for all lines of one document, so an order brings its own
products along instead of waiting for a catalogue sync.
"""

from __future__ import annotations

from typing import Any

from engine.connector import ActionContext
from engine.errors import DataError, IexError

from connectors.economic.client import EconomicApi, encode_key, to_decimal
from connectors.economic.reference import Reference, number_of

MAX_NUMBER_LENGTH = 25
READ_ONLY = ("self", "lastUpdated", "invoices", "metaData", "pricing")
# input name -> (e-conomic property, builder of its value)
FIELDS: dict[str, tuple[str, Any]] = {
    "name": ("name", lambda v: v),
    "description": ("description", lambda v: v),
    "barCode": ("barCode", lambda v: v),
    "salesPrice": ("salesPrice", to_decimal),
    "costPrice": ("costPrice", to_decimal),
    "recommendedPrice": ("recommendedPrice", to_decimal),
    "productGroupNumber": ("productGroup", lambda v: {"productGroupNumber": int(v)}),
    "unitNumber": ("unit", lambda v: {"unitNumber": int(v)}),
}
NOT_LOOKED_UP = object()  # cache marker: never asked (None in the cache means "asked, absent")


def ensure_product(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    number = _number_of(data)
    if number is None:
        return _use_default(api, data, "the line has no product number")
    with api.lock_for("product", number):
        existing = get_product(api, number)
        if existing is None:
            if data.get("create", True):
                return _create(api, ref, data, number)
            return _use_default(api, data, f"product {number} does not exist in e-conomic and creating products is off")
        if existing.get("barred"):
            raise DataError(f"product {number} is barred in e-conomic and cannot be sold", field_path="productNumber")
        return _update(api, ref, data, existing)


def ensure_products(api: EconomicApi, ref: Reference, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    """Every product of one document's lines, each as ``ensure_product`` (a product already seen
    in this run costs no call). ``by_sku`` maps each given product number to its result, whose
    ``productNumber`` is what the line must use (the default product when it stood in). A failing
    product fails the whole step, its field path prefixed with ``products[i]``."""
    results: list[dict[str, Any]] = []
    by_sku: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(data.get("products") or []):
        try:
            result = ensure_product(api, ref, item, ctx)
            number = _number_of(item)
        except IexError as exc:
            exc.field_path = f"products[{index}]" + (f".{exc.field_path}" if exc.field_path else "")
            raise
        results.append(result)
        if number is not None:
            by_sku.setdefault(number, result)
    return {"products": results, "by_sku": by_sku}


def find_product(api: EconomicApi, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any] | None:
    """After a crash: the product as it exists now (a create that happened is found)."""
    number = _number_of(data)
    existing = get_product(api, number) if number is not None else None
    if existing is not None:
        return _result(existing["productNumber"], created=False, updated=[], used_default=False)
    return None


def get_product(api: EconomicApi, number: str) -> dict[str, Any] | None:
    """The product by number, from this run's cache or one GET (a miss is cached too)."""
    cache = api.bucket("products")
    cached = cache.get(number, NOT_LOOKED_UP)
    if cached is not NOT_LOOKED_UP:
        return cached
    found = api.get_or_none(f"/products/{encode_key(number)}")
    cache[number] = found
    return found


def _number_of(data: dict[str, Any]) -> str | None:
    raw = data.get("productNumber")
    number = str(raw).strip() if raw is not None else ""
    if not number:
        return None
    if len(number) > MAX_NUMBER_LENGTH:
        raise DataError(
            f"product number {number!r} has {len(number)} characters; e-conomic allows at most {MAX_NUMBER_LENGTH}",
            field_path="productNumber",
        )
    return number


def _use_default(api: EconomicApi, data: dict[str, Any], reason: str) -> dict[str, Any]:
    default = data.get("default_product_number")
    if not default:
        raise DataError(f"{reason}, and no default product is set", field_path="productNumber")
    default = str(default)
    if get_product(api, default) is None:
        raise DataError(f"{reason}, and the default product {default} does not exist in e-conomic either",
                        field_path="default_product_number")
    return _result(default, created=False, updated=[], used_default=True)


def _body(data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in names:
        if data.get(name) is not None:
            prop, build = FIELDS[name]
            body[prop] = build(data[name])
    return body


def _check_references(ref: Reference, body: dict[str, Any]) -> None:
    if "productGroup" in body:
        ref.require("product_groups", body["productGroup"]["productGroupNumber"], "productGroupNumber")
    if "unit" in body:
        ref.require("units", body["unit"]["unitNumber"], "unitNumber")


def _create(api: EconomicApi, ref: Reference, data: dict[str, Any], number: str) -> dict[str, Any]:
    body = {"productNumber": number, **_body(data, list(FIELDS))}
    missing = [n for n in ("name", "productGroupNumber") if data.get(n) in (None, "")]
    if missing:
        raise DataError(f"cannot create product {number}: {', '.join(missing)} missing", field_path=missing[0])
    _check_references(ref, body)
    cache = api.bucket("products")
    try:
        created = api.post("/products", body)
    except DataError:
        # an earlier attempt whose answer was lost (its record then waits for its finder) may
        # have made it: e-conomic refuses the number as taken. Then it is ours to use.
        cache.pop(number, None)
        existing = get_product(api, number)
        if existing is None:
            raise
        return _update(api, ref, data, existing)
    except Exception:
        cache.pop(number, None)    # the cached miss may be stale now: ask again next time
        raise
    if api.dry_run:
        created = body
    cache[number] = created
    return _result(number, created=True, updated=[], used_default=False)


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, dict):
        key = next(iter(new))
        return number_of(old, key) != new[key]
    if isinstance(new, str):
        return str(old or "").strip() != new.strip()
    return to_decimal(old) != new


def _update(api: EconomicApi, ref: Reference, data: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    allowed = [n for n in data.get("update_fields") or [] if n in FIELDS]
    wanted = _body(data, allowed)
    changes = {prop: value for prop, value in wanted.items() if _differs(existing.get(prop), value)}
    number = str(existing["productNumber"])
    if not changes:
        return _result(number, created=False, updated=[], used_default=False)
    _check_references(ref, changes)
    # PUT replaces the whole product; read-only parts (inventory numbers) go back unchanged
    document = {k: v for k, v in existing.items() if k not in READ_ONLY}
    document.update(changes)
    saved = api.put(f"/products/{encode_key(number)}", document)
    api.bucket("products")[number] = document if api.dry_run else saved
    names = [n for n in allowed if FIELDS[n][0] in changes]
    return _result(number, created=False, updated=sorted(names), used_default=False)


def _result(number: str, *, created: bool, updated: list[str], used_default: bool) -> dict[str, Any]:
    return {"productNumber": number, "created": created, "updated": updated, "used_default": used_default}
