"""Connector plugins, one package per system, each with its sandbox."""
