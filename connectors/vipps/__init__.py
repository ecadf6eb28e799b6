"""The Vipps MobilePay connector (Report API: settlement ledgers and their funds entries, for
PayMatch) and, in ``sandbox/``, a sandbox of the access-token and Report APIs."""

from connectors.vipps.connector import VippsConnector

__all__ = ["VippsConnector"]
