"""A Shopify Admin REST sandbox of Shopify Payments payouts and balance transactions on loopback
(``iex sandbox shopify_payments``); see ``app.create_app`` for its options."""

from connectors.shopify_payments.sandbox.app import DEFAULT_TOKEN, create_app

__all__ = ["DEFAULT_TOKEN", "create_app"]
