"""Stripe webhook signatures (``Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]``).

The signed payload is ``"<t>." + raw body``; the expected value is the hex HMAC-SHA256 of it
keyed with the endpoint secret (``whsec_...``). Any ``v1`` may match (several appear while a
secret is rolled), compared in constant time; other schemes (``v0``) are ignored. A timestamp
more than 300 s from now is refused (the official SDKs' default tolerance), so a captured
delivery cannot be replayed later. Source: source-systems.md §4.1.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The delivery is not from Stripe (or not from now). The message names no secret."""


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The header value Stripe would send (used by tests and the sandbox)."""
    return f"t={timestamp},v1={_digest(body, secret, timestamp)}"


def verify(header: str | None, body: bytes, secret: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> int:
    """Check the header against the raw body; returns the signed timestamp."""
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("Stripe-Signature has a timestamp that is not a number") from None
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None:
        raise SignatureError("Stripe-Signature has no timestamp (t=...)")
    if not candidates:
        raise SignatureError("Stripe-Signature has no v1 signature")
    expected = _digest(body, secret, timestamp).encode()
    matched = False
    for candidate in candidates:   # compare every one: the time taken does not tell which matched
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise SignatureError("Stripe-Signature does not match the body (wrong webhook secret, or a changed body)")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError(f"Stripe-Signature timestamp is more than {tolerance} s from now (a replay?)")
    return timestamp


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
