"""The sandbox's switches. Every behaviour the reference marks unsure ([?]) is one option here,
with the most likely behaviour as default, so a test can flip it and a connector can be checked
against both readings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from engine.errors import ConfigError

DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_GRANT = "sandbox-grant"
DEMO_TOKEN = "demo"


@dataclass(frozen=True)
class SandboxOptions:
    """Options of ``create_app(options)``; keys of the options dict are these field names."""

    app_secret_token: str = DEFAULT_APP_SECRET
    agreement_grant_token: str = DEFAULT_GRANT
    #: the sandbox's "today" (ISO date) for due dates and /invoices/overdue; None = the real date
    today: str | None = None
    # the seeded agreement is the same every time; `seed` (given to every sandbox by
    # engine.sandbox.build) only repeats the fault pattern, so it is accepted and not used here
    seed: int | str | None = None
    #: [?] sign of a customer payment in a journal: "negative" (reference §6.15: a payment is a
    #: negative amount, i.e. a credit to the debtor) or "positive" (the opposite reading)
    payment_sign: str = "negative"
    #: [?] status of a successful POST /invoices/booked (reference §6.11 leans to 201)
    book_status_code: int = 201
    #: [?] status of a write with the demo tokens. The docs only say "GET only"; 403 (authenticated
    #: but not allowed) is the most likely answer; 401 is the other reading.
    demo_write_status: int = 403

    def __post_init__(self) -> None:
        if self.payment_sign not in ("negative", "positive"):
            raise ConfigError(f"economic sandbox option payment_sign must be 'negative' or 'positive', not {self.payment_sign!r}")
        if self.book_status_code not in (200, 201):
            raise ConfigError(f"economic sandbox option book_status_code must be 200 or 201, not {self.book_status_code!r}")
        if self.demo_write_status not in (401, 403):
            raise ConfigError(f"economic sandbox option demo_write_status must be 401 or 403, not {self.demo_write_status!r}")
        if self.today is not None:
            try:
                dt.date.fromisoformat(self.today)
            except (TypeError, ValueError):
                raise ConfigError(f"economic sandbox option today must be a date YYYY-MM-DD, not {self.today!r}") from None

    @classmethod
    def from_dict(cls, options: dict[str, Any] | None) -> SandboxOptions:
        """Build from a plain dict; unknown keys are refused with the list of known ones."""
        options = dict(options or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"unknown economic sandbox option(s) {unknown}; known: {sorted(known)}")
        if isinstance(options.get("today"), dt.date):
            options["today"] = options["today"].isoformat()
        for name in ("book_status_code", "demo_write_status"):  # `iex sandbox --opt` passes strings
            if isinstance(options.get(name), str):
                try:
                    options[name] = int(options[name])
                except ValueError:
                    raise ConfigError(f"economic sandbox option {name} must be a status code, not {options[name]!r}") from None
        return cls(**options)

    def today_date(self) -> dt.date:
        return dt.date.fromisoformat(self.today) if self.today else dt.date.today()
