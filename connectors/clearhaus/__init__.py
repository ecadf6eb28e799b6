"""The Clearhaus connector (Merchant API settlements and their transactions, for PayMatch) and,
in ``sandbox/``, a sandbox of the Merchant API and its OAuth token endpoint."""

from connectors.clearhaus.connector import ClearhausConnector

__all__ = ["ClearhausConnector"]
