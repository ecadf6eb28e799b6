"""The e-conomic connector (legacy REST + Journals API) and, in ``sandbox/``, its sandbox."""

from connectors.economic.connector import EconomicConnector

__all__ = ["EconomicConnector"]
