"""Links: absolute ``self`` URLs built from the request's base URL, e-conomic's self-link encoding
of string keys (productNumber), and resolving a reference given by number or by ``self``.

The store keeps documents without links; ``with_links`` adds ``self`` to every nested reference
when a document is answered, so links always point at the server the client talked to.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

API = "https://restapi.e-conomic.com"

# Reference §4 "Self-link ID encoding": `_` first, then the rest; all else standard URL encoding.
_ENCODE = [("_", "_8_"), ("<", "_0_"), (">", "_1_"), ("*", "_2_"), ("%", "_3_"), (":", "_4_"),
           ("&", "_5_"), ("/", "_6_"), ("\\", "_7_"), (" ", "_9_"), ("?", "_10_"), (".", "_11_"),
           ("#", "_12_"), ("+", "_13_")]
_DECODE = {token: char for char, token in _ENCODE}
_TOKEN = re.compile(r"_(\d{1,2})_")


def encode_id(value: str) -> str:
    """A string key as it appears in a self link: ``"SKU/1 2"`` -> ``"SKU_6_1_9_2"``."""
    for char, token in _ENCODE:
        value = value.replace(char, token)
    return quote(value, safe="_-~")


def decode_id(segment: str) -> str:
    """Inverse of ``encode_id`` on an already URL-decoded path segment."""
    return _TOKEN.sub(lambda m: _DECODE.get(m.group(0), m.group(0)), segment)


class Links:
    """Builds absolute URLs for one request (its scheme, host and port; ``?demo=true`` kept)."""

    def __init__(self, base: str, demo_query: bool = False) -> None:
        self.base = base.rstrip("/")
        self.demo_query = demo_query

    def url(self, path: str, query: str = "") -> str:
        if self.demo_query:
            query = f"{query}&demo=true" if query else "demo=true"
        return f"{self.base}{path}" + (f"?{query}" if query else "")


# id field -> path of the resource it identifies (first match wins for a nested dict)
REF_PATHS: list[tuple[str, str]] = [
    ("draftInvoiceNumber", "/invoices/drafts/{}"),
    ("bookedInvoiceNumber", "/invoices/booked/{}"),
    ("customerNumber", "/customers/{}"),
    ("productNumber", "/products/{}"),
    ("vatZoneNumber", "/vat-zones/{}"),
    ("paymentTermsNumber", "/payment-terms/{}"),
    ("layoutNumber", "/layouts/{}"),
    ("unitNumber", "/units/{}"),
    ("customerGroupNumber", "/customer-groups/{}"),
    ("productGroupNumber", "/product-groups/{}"),
    ("accountNumber", "/accounts/{}"),
    ("vatCode", "/vat-accounts/{}"),
    ("vatTypeNumber", "/vat-types/{}"),
    ("employeeNumber", "/employees/{}"),
    ("journalNumber", "/journals/{}"),
    ("supplierNumber", "/suppliers/{}"),
    ("year", "/accounting-years/{}"),
]


def ref_path(ref: dict[str, Any], parent_key: str = "", customer: int | None = None) -> str | None:
    """The path a reference object points at, or None when it identifies nothing."""
    if parent_key == "currency" and "code" in ref:
        return f"/currencies/{ref['code']}"
    if "customerContactNumber" in ref and customer is not None:
        return f"/customers/{customer}/contacts/{ref['customerContactNumber']}"
    if "deliveryLocationNumber" in ref and customer is not None:
        return f"/customers/{customer}/delivery-locations/{ref['deliveryLocationNumber']}"
    for key, template in REF_PATHS:
        if key in ref and ref[key] is not None and not isinstance(ref[key], (dict, list)):
            value = ref[key]
            return template.format(encode_id(value) if key == "productNumber" else value)
    return None


def with_links(doc: dict[str, Any], links: Links, self_path: str, customer: int | None = None) -> dict[str, Any]:
    """A copy of a stored document with ``self`` on itself and on every nested reference; keys
    starting with ``_`` are the sandbox's own bookkeeping and are left out."""
    if customer is None and isinstance(doc.get("customer"), dict):
        customer = doc["customer"].get("customerNumber")
    out = _walk(doc, links, "", customer)
    out["self"] = links.url(self_path)
    return out


def _walk(value: Any, links: Links, key: str, customer: int | None) -> Any:
    if isinstance(value, list):
        return [_walk(item, links, key, customer) for item in value]
    if not isinstance(value, dict):
        return value
    out = {k: _walk(v, links, k, customer) for k, v in value.items() if not k.startswith("_")}
    if key and "self" not in out:
        path = ref_path(value, key, customer)
        if path is not None:
            out["self"] = links.url(path)
    return out


def id_from_self(url: str, prefix: str) -> str | None:
    """The decoded id segment of a self link under ``prefix`` (e.g. ``/customers``), else None."""
    path = urlsplit(url).path.rstrip("/")
    if not path.startswith(prefix + "/"):
        return None
    segment = path[len(prefix) + 1:]
    if "/" in segment or not segment:
        return None
    return decode_id(unquote(segment))
