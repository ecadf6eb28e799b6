"""The torture's checker catches what it exists to catch: a planted duplicate invoice, an order
that was never transferred, an invoice of no order, and a draft left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.torture import check, processes
from engine.torture.instance import TortureInstance
from engine.torture.sandboxes import Sandboxes, SandboxOptions

pytestmark = pytest.mark.timeout(240)


def draft_like(booked: dict[str, Any], reference: str) -> dict[str, Any]:
    """A draft invoice with the content of a booked one and another references.other."""
    keep = ("date", "currency", "customer", "paymentTerms", "layout", "recipient", "notes")
    draft = {name: booked[name] for name in keep if name in booked}
    draft["references"] = {"other": reference}
    draft["lines"] = [{name: line[name] for name in ("lineNumber", "description", "product", "quantity", "unitNetPrice",
                                                     "unit") if name in line} for line in booked["lines"]]
    return draft


def plant(sandboxes: Sandboxes, booked: dict[str, Any], reference: str, *, book: bool) -> None:
    draft = sandboxes.request("economic", "POST", "/invoices/drafts", draft_like(booked, reference))
    if book:
        sandboxes.request("economic", "POST", "/invoices/booked",
                          {"draftInvoice": {"draftInvoiceNumber": draft["draftInvoiceNumber"]}})


def test_the_checker_finds_planted_duplicates_missing_and_strays(tmp_path: Path) -> None:
    with Sandboxes(SandboxOptions(orders=12, shop_seed=3)) as sandboxes:
        instance = TortureInstance(tmp_path / "instance", sandboxes)
        instance.write()
        assert processes.run(instance, "run", "--once", "--no-progress").popen.returncode == 0
        clean = check.verify(sandboxes, instance)
        assert clean.ok, clean.failures
        assert clean.invoices > 0 and clean.transferable >= clean.invoices

        listed = sandboxes.request("economic", "GET", "/invoices/booked", pagesize=1000)["collection"]
        invoice = next(doc for doc in listed if "/orders/" in doc["references"]["other"])
        booked = sandboxes.request("economic", "GET", f"/invoices/booked/{invoice['bookedInvoiceNumber']}")
        reference = booked["references"]["other"]
        record = reference.split("/", 1)[1].rsplit("/", 1)[0]         # "orders/<id>"
        plant(sandboxes, booked, reference, book=True)                  # the same order booked twice
        plant(sandboxes, booked, "webshop/orders/999999/invoice", book=True)   # an invoice of no order
        plant(sandboxes, booked, reference, book=False)                 # a draft left behind
        new = sandboxes.request("shop", "POST", "/_sandbox/orders", {
            "status": "processing", "line_items": [{"sku": "KAF-500", "quantity": 1}]})   # never transferred

        found = check.verify(sandboxes, instance)
    assert not found.ok
    assert found.duplicates == [f"{record}: 2 booked"]
    assert found.unexpected == ["webshop/orders/999999/invoice x1"]
    assert found.stray_drafts == [f"{record} x1"]
    assert found.missing == [f"orders/{new['id']}"]
