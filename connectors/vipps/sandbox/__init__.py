"""A Vipps MobilePay sandbox on loopback: the access-token API and the Report API's ledgers and
funds entries (``iex sandbox vipps``); see ``app.create_app`` for its options."""

from connectors.vipps.sandbox.app import DEFAULTS, create_app

__all__ = ["DEFAULTS", "create_app"]
