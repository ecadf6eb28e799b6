"""Booked invoice PDFs, for customers who mail invoices themselves (e-conomic's API cannot)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from engine.connector import ActionContext
from engine.errors import DataError

from connectors.economic.client import EconomicApi
from connectors.economic.errors import NotFoundError


def get_invoice_pdf(api: EconomicApi, data: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    """Write the PDF to ``path`` (replaced atomically: a half-written file is never seen)."""
    number = int(data["bookedInvoiceNumber"])
    target = Path(str(data["path"]))
    try:
        content = api.pdf(f"/invoices/booked/{number}/pdf")
    except NotFoundError:
        raise DataError(f"booked invoice {number} does not exist in e-conomic", field_path="bookedInvoiceNumber") from None
    if not content.startswith(b"%PDF"):
        raise DataError(f"e-conomic sent no PDF for booked invoice {number}", field_path="bookedInvoiceNumber")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"path": str(target), "bytes": len(content), "bookedInvoiceNumber": number}
