"""A faithful e-conomic sandbox: restapi.e-conomic.com (and the Journals API booking) served by a
Starlette app on loopback. Use ``create_app(options)``; see ``options.SandboxOptions``."""

from connectors.economic.sandbox.app import create_app
from connectors.economic.sandbox.options import DEFAULT_APP_SECRET, DEFAULT_GRANT, SandboxOptions

__all__ = ["create_app", "SandboxOptions", "DEFAULT_APP_SECRET", "DEFAULT_GRANT"]
