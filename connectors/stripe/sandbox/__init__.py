"""A Stripe API sandbox (payouts, balance transactions) on loopback; see ``app.create_app``."""

from connectors.stripe.sandbox.app import DEFAULT_SECRET_KEY, create_app

__all__ = ["DEFAULT_SECRET_KEY", "create_app"]
