"""The ``files`` connector (CSV, JSON lines, XML in; keyed JSON-lines or CSV out)."""

from connectors.files.connector import FilesConnector, UnreadableRecord

__all__ = ["FilesConnector", "UnreadableRecord"]
