"""The Stripe connector (payouts and balance transactions for PayMatch, webhook verification)
and, in ``sandbox/``, a Stripe API sandbox."""

from connectors.stripe.connector import StripeConnector

__all__ = ["StripeConnector"]
