"""The WooCommerce order -> e-conomic invoice mapping through the engine, against the same mapping
written by hand in Python, on the same generated orders, in one run.

* Records: ``orders`` orders from the WooCommerce sandbox generator (seed 7), as the connector
  reads them (JSON numbers as Decimal), with the context the runner gives the invoice step: the
  recipe's settings with their defaults, ``steps.customer`` and ``steps.products``.
* Engine: ``mappings/woocommerce/invoice.yaml`` (with the document, sale and line files it uses),
  compiled once, evaluated per record.
* Hand-written: ``invoice()`` below does what those files say with the same helper functions
  (money, round_money, country_name, ...). Both must agree on every record (the output, or both
  refusing the record with the same field); otherwise the benchmark fails instead of reporting.
* Timing: both evaluate every record, seven rounds interleaved (which goes first alternates),
  the best round of each counts: on a shared machine the best round is the one least disturbed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import DataError, IexError
from engine.helpers import GLOBALS
from engine.helpers.general import coalesce, digits, fail, to_str, truncate_to
from engine.helpers.money import money, round_money

ROOT = Path(__file__).resolve().parents[1]
JSON = dict[str, Any]
country_name = GLOBALS["country_name"]
is_eu = GLOBALS["is_eu"]
normalize_vat_number = GLOBALS["normalize_vat_number"]


def run(report: Callable[[str, dict[str, Any]], None], quick: bool = False) -> None:
    orders = generated_orders(100 if quick else 2000)
    settings = recipe_settings()
    contexts = [context(order, settings) for order in orders]
    from engine.mapping import load_mapping

    mapping = load_mapping(ROOT / "mappings" / "woocommerce" / "invoice.yaml")
    engine_results = [outcome(mapping.evaluate, c) for c in contexts]
    python_results = [outcome(invoice, c) for c in contexts]
    for ctx, ours, theirs in zip(contexts, engine_results, python_results, strict=True):
        if ours != theirs:
            raise AssertionError(f"order {ctx['key']}: the engine and the hand-written mapping differ: "
                                 f"{_first_difference(ours, theirs)}")
    rounds = 1 if quick else 7
    engine_s = python_s = float("inf")
    for round_ in range(rounds):
        if round_ % 2:
            python_s = min(python_s, _timed(invoice, contexts))
        engine_s = min(engine_s, _timed(mapping.evaluate, contexts))
        if not round_ % 2:
            python_s = min(python_s, _timed(invoice, contexts))
    refused = sum(1 for r in engine_results if r[0] == "refused")
    report("mapping", {
        "records": len(contexts),
        "refused_by_both": refused,
        "engine_records_per_s": round(len(contexts) / engine_s),
        "python_records_per_s": round(len(contexts) / python_s),
        "ratio": round(engine_s / python_s, 2),
        "goal": "engine within 1.5x of hand-written Python",
        "identical": f"yes, every record ({len(contexts)})",
    })


def outcome(function: Callable[[JSON], JSON], ctx: JSON) -> tuple[str, Any]:
    """("ok", output) or ("refused", field path) - what both must agree on."""
    try:
        return "ok", function(ctx)
    except DataError as exc:
        return "refused", exc.field_path
    except IexError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def _timed(function: Callable[[JSON], JSON], contexts: list[JSON]) -> float:
    started = time.perf_counter()
    for ctx in contexts:
        try:
            function(ctx)
        except DataError:
            pass
    return time.perf_counter() - started


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key, "<missing>") != b.get(key, "<missing>"):
                return _first_difference(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{path}.{key}")
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{index}]")
    return f"{path or '(top)'}: engine {a!r} vs hand-written {b!r}"


# -- the records and their context ----------------------------------------------------------------

def generated_orders(count: int, seed: int = 7) -> list[JSON]:
    """Orders as the connector reads them: the sandbox's REST JSON, numbers as Decimal."""
    from connectors.woocommerce.sandbox import create_app

    store = create_app({"generate": count, "seed": seed}).state.shop.store
    return [json.loads(json.dumps(order, default=str), parse_float=Decimal) for order in store.orders.values()]


def recipe_settings() -> JSON:
    from engine.recipe import apply_settings, load_recipe

    return apply_settings(load_recipe(ROOT / "recipes" / "woocommerce-economic.yaml"), {"start_date": "2025-03-01"})


def context(order: JSON, settings: JSON) -> JSON:
    skus = {to_str(line.get("sku")).strip() for line in order["line_items"] if line.get("sku")}
    return {
        "record": order, "settings": settings, "key": str(order["id"]),
        "steps": {"customer": {"customerNumber": 1000 + order["id"] % 97, "paymentTermsNumber": 1},
                  "products": {"by_sku": {sku: {"productNumber": sku} for sku in sorted(skus)}}},
    }


# -- the mapping, by hand --------------------------------------------------------------------------

def invoice(ctx: JSON) -> JSON:
    """invoice.yaml: the document plus the totals check and booking fields."""
    order, settings = ctx["record"], ctx["settings"]
    the_sale = sale(order, settings)
    out = document(order, the_sale, ctx["steps"]["customer"], ctx["steps"], settings)
    out["expected"] = {"gross": money(order["total"]), "vat": money(order["total_tax"]), "currency": order["currency"]}
    out["tolerance"] = settings["tolerance"]
    out["rounding_product_number"] = settings["rounding_product"]
    out["rounding_text"] = settings["rounding_text"]
    out["book"] = settings["book_invoices"]
    out["send_by"] = the_sale["rules"]["send_by"]
    return out


def _meta(order: JSON, key: str) -> Any:
    for entry in order["meta_data"]:
        if entry["key"] == key:
            return entry["value"]
    return None


def sale(order: JSON, s: JSON) -> JSON:
    """sale.yaml: who buys, the VAT treatment and the numbers that follow."""
    cvr = to_str(coalesce(_meta(order, s["meta_key_cvr"]), "")).strip()
    vat_number = normalize_vat_number(coalesce(_meta(order, s["meta_key_vat_number"]), ""))
    ean = digits(coalesce(_meta(order, s["meta_key_ean"]), ""))
    person_reference = to_str(coalesce(_meta(order, s["meta_key_person_reference"]), "")).strip()
    order_reference = to_str(coalesce(_meta(order, s["meta_key_order_reference"]), "")).strip()
    company = to_str(order["billing"]["company"]).strip()
    kind = "ean" if ean else ("b2b" if cvr or vat_number or (s["b2b_when_company_name"] and company) else "b2c")
    if s["tax_based_on"] == "shipping":
        country = (order["shipping"]["country"] or order["billing"]["country"]).upper()
    else:
        country = order["billing"]["country"].upper()
    home = country == s["home_country"]
    in_eu = not home and is_eu(country)
    taxed = money(order["total_tax"]) != 0
    if home:
        treatment = "domestic"
    elif not in_eu:
        treatment = "abroad"
    elif vat_number and not taxed:
        treatment = "eu"
    else:
        treatment = "oss" if s["oss"] else "domestic"
    where = "domestic" if home else ("eu" if in_eu else "abroad")
    method = s["payment_methods"].get(order["payment_method"], {})
    if method.get("layout") is not None:
        layout = method["layout"]
    else:
        layout = s["layout_foreign"] if not home and s["layout_foreign"] is not None else s["layout"]
    return {
        "kind": kind, "company": company, "cvr": cvr, "vat_number": vat_number, "ean": ean,
        "person_reference": person_reference, "order_reference": order_reference, "country": country,
        "where": where, "treatment": treatment, "taxed_sale": treatment in ("domestic", "oss"),
        "vat_zone": s["vat_zone_domestic"] if treatment == "domestic" else (
            s["vat_zone_abroad"] if treatment == "abroad" else s["vat_zone_eu"]),
        "oss_product": s["oss_product_prefix"] + country if treatment == "oss" and taxed else None,
        "payment_terms": method["payment_terms"] if "payment_terms" in method else s["payment_terms"],
        "layout": layout,
        "rules": {
            "match": s[f"{kind}_match"], "common_customer": s[f"{kind}_common_customer"],
            "create": s[f"{kind}_create"], "update_fields": s[f"{kind}_update_fields"],
            "customer_group": s[f"{kind}_customer_group"][where], "vat_zone": s[f"{kind}_vat_zone"],
            "payment_terms": s[f"{kind}_payment_terms"], "invoice_terms": s[f"{kind}_invoice_terms"],
            "send_by": "ean" if kind == "ean" and s["ean_send_by_ean"] else "none",
        },
    }


def _joined(first: Any, second: Any) -> str:
    return (to_str(first) + (", " + to_str(second) if second else "")).strip()


def document(order: JSON, the_sale: JSON, customer: JSON, steps: JSON, s: JSON) -> JSON:
    """document.yaml: the draft of one order."""
    billing, shipping = order["billing"], order["shipping"]
    billing_person = (to_str(billing["first_name"]) + " " + to_str(billing["last_name"])).strip()
    address = _joined(billing["address_1"], billing["address_2"])
    delivery_address = _joined(shipping["address_1"], shipping["address_2"])
    references = " · ".join(x for x in [
        "Rekvisition " + the_sale["order_reference"] if the_sale["order_reference"] else "",
        "Att. " + the_sale["person_reference"] if the_sale["person_reference"] else ""] if x)
    contact = customer.get("contactNumber")
    if the_sale["rules"]["invoice_terms"] == "customer" and customer.get("paymentTermsNumber") is not None:
        terms = customer["paymentTermsNumber"]
    else:
        terms = the_sale["payment_terms"]
    if the_sale["kind"] != "b2c":
        name = coalesce(the_sale["company"], billing_person, billing["email"])
    else:
        name = coalesce(billing_person, the_sale["company"], billing["email"])
    recipient: JSON = {"name": truncate_to(name, 250)}
    if address:
        recipient["address"] = truncate_to(address, 250)
    if billing["postcode"]:
        recipient["zip"] = truncate_to(billing["postcode"], 50)
    if billing["city"]:
        recipient["city"] = truncate_to(billing["city"], 250)
    if billing["country"]:
        recipient["country"] = country_name(billing["country"])
    if the_sale["ean"]:
        recipient["ean"] = the_sale["ean"]
    recipient["vatZone"] = {"vatZoneNumber": the_sale["vat_zone"]}
    if contact:
        recipient["attention"] = {"customerContactNumber": contact}
    out: JSON = {
        "date": order["date_created"][:10], "currency": order["currency"],
        "customer": {"customerNumber": customer["customerNumber"]},
        "paymentTerms": {"paymentTermsNumber": terms}, "layout": {"layoutNumber": the_sale["layout"]},
        "recipient": recipient,
    }
    if delivery_address:
        out["delivery"] = {"address": truncate_to(delivery_address, 255), "zip": truncate_to(shipping["postcode"], 30),
                           "city": truncate_to(shipping["city"], 50), "country": country_name(shipping["country"])}
    notes: JSON = {"heading": truncate_to(f"Ordre {to_str(order['number'])}" + (f" · {references}" if references else ""),
                                          250)}
    if order["customer_note"]:
        notes["textLine1"] = truncate_to(order["customer_note"], 1000)
    out["notes"] = notes
    if contact:
        out["references"] = {"customerContact": {"customerContactNumber": contact}}
    entries = [("item", x) for x in order["line_items"]]
    entries += [("shipping", x) for x in order["shipping_lines"] if x["total"] != "0.00"]
    entries += [("fee", x) for x in order["fee_lines"]]
    entries += [("coupon", x) for x in (order["coupon_lines"] if s["discount_lines"] else [])]
    lines = []
    for index, (kind, entry) in enumerate(entries):
        try:
            lines.append(line(kind, entry, the_sale, steps, s, 1))
        except DataError as exc:
            exc.field_path = f"lines[{index}].{exc.field_path}"
            raise
    out["lines"] = lines
    return out


def line(kind: str, entry: JSON, the_sale: JSON, steps: JSON, s: JSON, sign: int) -> JSON:
    """line.yaml: one e-conomic line from one WooCommerce line."""
    item = kind == "item"
    before_discount = item and s["discount_lines"]
    if kind == "coupon":
        net, tax = -money(entry["discount"]) * sign, -money(entry["discount_tax"]) * sign
    else:
        net = money(entry["subtotal"] if before_discount else entry["total"]) * sign
        tax = money(entry["subtotal_tax"] if before_discount else entry["total_tax"]) * sign
    untaxed = the_sale["taxed_sale"] and tax == 0 and net != 0
    quantity = entry["quantity"] * sign if item and entry["quantity"] != 0 else 1
    sku = to_str(entry["sku"]).strip() if item and "sku" in entry else ""
    ensured = (steps.get("products") or {}).get("by_sku", {}) if steps.get("products") else {}
    if item:
        own = (ensured[sku]["productNumber"] if sku in ensured else sku) or s["default_product"]
    elif kind == "coupon":
        own = s["discount_product"]
    elif not untaxed:
        own = s["shipping_product"] if kind == "shipping" else s["fee_product"]
    else:
        own = s["shipping_product_untaxed"] if kind == "shipping" else s["fee_product_untaxed"]
    product = the_sale["oss_product"] if the_sale["oss_product"] and not untaxed else own
    text = entry["name"] if kind in ("item", "fee") else (entry["method_title"] if kind == "shipping"
                                                           else "Rabat " + to_str(entry["code"]))
    if not product:
        _refuse("product.productNumber", f"line {to_str(text)} has no SKU and no default product is set: give the "
                "product a SKU in the shop, or set default_product")
    if item and sign == 1 and entry["quantity"] <= 0:
        _refuse("quantity", f"line {to_str(text)} has quantity {to_str(entry['quantity'])}; an order line must have "
                "a quantity of at least 1 (fix the order in the shop)")
    return {
        "product": {"productNumber": product},
        "description": truncate_to((sku + " " + to_str(text)).strip() if product != own else text, 2500),
        "quantity": quantity,
        "unitNetPrice": round_money(net / quantity),
    }


def _refuse(field_path: str, message: str) -> None:
    try:
        fail(message)
    except DataError as exc:
        exc.field_path = field_path
        raise
