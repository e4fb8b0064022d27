"""Declarative App Connect proxy connectors (ref §6): load a JSON file, run it as a Connector."""

from appconnect.connectors.proxy.connector import ProxyConnector, build_proxy_connector
from appconnect.connectors.proxy.loader import (
    ProxyConfigError,
    load_proxy_config,
    parse_proxy_config,
)
from appconnect.connectors.proxy.models import ProxyConfig

__all__ = [
    "ProxyConfig",
    "ProxyConfigError",
    "ProxyConnector",
    "build_proxy_connector",
    "load_proxy_config",
    "parse_proxy_config",
]
