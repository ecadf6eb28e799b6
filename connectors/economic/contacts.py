"""Customer contacts: the person an invoice is addressed to.

e-conomic sends an invoice through NemHandel (``sendBy: ean``) only when the customer has a
contact person and the invoice names one (``references.customerContact``, shown as
``recipient.attention``; economic-api §6.11). A public buyer's person reference becomes that
contact. Contacts live under ``/customers/{n}/contacts``; they are matched by name (blanks and
case ignored) and created when missing. The contacts of a customer are listed once per run.
"""

from __future__ import annotations

from typing import Any

from engine.errors import DataError

from connectors.economic.client import EconomicApi
from connectors.economic.documents import prune

LIMITS = {"name": 255, "email": 255, "phone": 50}   # e-conomic's contact field lengths


def ensure_contact(api: EconomicApi, customer_number: Any, contact: dict[str, Any], *, create: bool = True) -> int | None:
    """The number of the customer's contact with ``contact["name"]``, created when missing
    (``create``). None when it is missing and may not be created, or in a plan (nothing sent)."""
    name = " ".join(str(contact.get("name") or "").split())
    if not name:
        raise DataError("the contact person has no name", field_path="contact.name")
    if customer_number is None:        # a plan: the customer itself was not created
        return None
    key = name[: LIMITS["name"]].lower()
    with api.lock_for("contact", int(customer_number), key):
        known = _contacts(api, int(customer_number))
        if key in known or not create:
            return known.get(key)
        body = prune({"name": name[: LIMITS["name"]],
                      "email": _text(contact.get("email"), LIMITS["email"]),
                      "phone": _text(contact.get("phone"), LIMITS["phone"])})
        try:
            created = api.post(f"/customers/{int(customer_number)}/contacts", body)
        except Exception:
            # the answer may be lost after the contact was made: read the list again next time
            api.bucket("contacts").pop(int(customer_number), None)
            raise
        number = created.get("customerContactNumber")
        if number is None:             # a plan echoes the body back: nothing was created
            return None
        known[key] = int(number)
        return int(number)


def _contacts(api: EconomicApi, customer_number: int) -> dict[str, int]:
    """name (lower case) -> contact number of one customer, read once per run."""
    cache = api.bucket("contacts")
    if customer_number not in cache:
        found: dict[str, int] = {}
        for item in api.iterate(f"/customers/{customer_number}/contacts"):
            name = " ".join(str(item.get("name") or "").split()).lower()
            if name and item.get("customerContactNumber") is not None:
                found.setdefault(name, int(item["customerContactNumber"]))   # the oldest of namesakes
        cache[customer_number] = found
    return cache[customer_number]


def _text(value: Any, limit: int) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:limit] or None
