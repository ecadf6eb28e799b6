"""The Zettle connector (Finance API v2: liquid-account transactions and the payouts that close
them, for PayMatch) and, in ``sandbox/``, a sandbox of Zettle's OAuth and Finance APIs."""

from connectors.zettle.connector import ZettleConnector

__all__ = ["ZettleConnector"]
