"""WooCommerce (REST API v3): orders, refunds, products, customers, stock updates, webhooks."""

from connectors.woocommerce.connector import WooCommerceConnector

__all__ = ["WooCommerceConnector"]
