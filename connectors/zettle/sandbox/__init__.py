"""A Zettle sandbox on loopback: the OAuth assertion grant and the Finance API v2 account
transactions (``iex sandbox zettle``); see ``app.create_app`` for its options."""

from connectors.zettle.sandbox.app import DEFAULTS, create_app

__all__ = ["DEFAULTS", "create_app"]
