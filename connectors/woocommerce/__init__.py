"""WooCommerce (REST API v3): orders, refunds, products, customers, stock updates, webhooks."""
