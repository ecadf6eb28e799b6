"""The Shopify Payments connector (payouts and their balance transactions, for PayMatch) and, in
``sandbox/``, a Shopify Admin REST sandbox of those resources."""

from connectors.shopify_payments.connector import ShopifyPaymentsConnector

__all__ = ["ShopifyPaymentsConnector"]
