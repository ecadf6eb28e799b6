"""A Clearhaus Merchant API sandbox on loopback: the OAuth token endpoint and the hypermedia
settlements and transactions (``iex sandbox clearhaus``); see ``app.create_app`` for options."""

from connectors.clearhaus.sandbox.app import DEFAULTS, create_app

__all__ = ["DEFAULTS", "create_app"]
