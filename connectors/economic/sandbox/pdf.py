"""A real, minimal PDF (one page of text) for ``/invoices/drafts|booked/{n}/pdf``, so a
connector that stores or mails the invoice PDF handles genuine PDF bytes."""

from __future__ import annotations

from starlette.responses import Response


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with the given lines in Helvetica (Latin-1; other characters become '?')."""
    stream_lines = ["BT", "/F1 11 Tf", "50 800 Td", "14 TL"]
    for line in lines:
        stream_lines.append(f"({_escape(line)}) Tj T*")
    stream_lines.append("ET")
    stream = "\n".join(stream_lines).encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def invoice_pdf(title: str, doc: dict) -> Response:
    """The PDF answer for a draft or booked invoice."""
    lines = [title, f"Dato: {doc.get('date', '')}   Forfald: {doc.get('dueDate', '')}",
             f"Kunde: {doc['customer']['customerNumber']} {doc.get('recipient', {}).get('name', '')}", ""]
    for line in doc.get("lines", []):
        lines.append(f"{line.get('description', '')}  {line.get('quantity', '')} x {line.get('unitNetPrice', '')}"
                     f" = {line.get('totalNetAmount', '')}")
    lines += ["", f"Netto: {doc['netAmount']} {doc['currency']}", f"Moms: {doc['vatAmount']}",
              f"I alt: {doc['grossAmount']} {doc['currency']}"]
    return Response(render_pdf(lines), media_type="application/pdf")
