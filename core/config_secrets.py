"""The secrets a config holds: the warning about a readable file holding them, which keys
were written into the file, and every secret value (for redaction)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError
from appconnect.core.redaction import url_has_secret
from appconnect.core.user_files import shown


def config_warnings(path: Path, config: HarnessConfig) -> list[str]:
    """Warnings about the config file itself: today, a secret in a file others can read.

    Pure apart from one stat(); the CLI prints each as `Warning: ...`.
    """
    held = file_secrets(config)
    if not held or os.name == "nt":  # Windows has no group/other mode bits to check
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    bits = (("group", stat.S_IRGRP), ("others", stat.S_IROTH))
    readers = [who for who, bit in bits if mode & bit]
    if not readers:
        return []
    # A URL's credentials have no *_env key: they move out of the URL (into api_key_env).
    ways = [f"{key}_env" for key in held if not key.endswith((".url", ".database"))]
    if any(key.endswith(".url") for key in held):
        ways.append("a URL without credentials")
    if "server.database" in held:  # the server's own .env holds its DATABASE_URL already
        ways.append("server.env_file")
    return [
        f"{path.name} holds a secret ({', '.join(held)}) and is readable by "
        f"{' and '.join(readers)} (chmod 600 {shown(path)}, or use {' / '.join(ways)})"
    ]


def file_secrets(config: HarnessConfig) -> list[str]:
    """The config keys whose secret values were written in the file (not taken from env)."""
    held = []
    if url_has_secret(config.crm.url):  # http://user:password@... or ?token=...
        held.append("crm.url")
    if config.crm.api_key:
        held.append("crm.api_key")
    if config.identity.hash_key and config.identity.hash_key_env is None:
        held.append("identity.hash_key")
    if config.crm.oauth_client_secret:
        held.append("crm.oauth_client_secret")
    for key in ("oauth_access_token", "oauth_refresh_token"):
        if getattr(config.crm, key):
            held.append(f"crm.{key}")
    if config.server.api_key:
        held.append("server.api_key")
    if url_has_secret(config.server.url):
        held.append("server.url")
    if url_has_secret(config.server.database):  # postgres://user:password@host/db
        held.append("server.database")
    return held


def known_secrets(config: HarnessConfig) -> list[str]:
    """Every secret value the config holds or names in the environment (for redaction in
    traces, reports and cassettes); one that cannot be read (an unset variable) is left out,
    not an error here, and does not hide the others."""
    crm, found = config.crm, []
    for read in (
        crm.resolved_api_key,
        lambda: (crm.resolved_oauth_client() or ("", ""))[1],
        lambda: _tokens(config),
        config.server.resolved_api_key,
        config.server.resolved_secret,
    ):
        try:
            value = read()
        except ConfigError:
            continue
        found.extend(value if isinstance(value, list) else [value or ""])
    found.append(config.identity.hash_key)
    return [value for value in found if value]


def _tokens(config: HarnessConfig) -> list[str]:
    given = config.crm.resolved_oauth_tokens()
    return [given.access_token, given.refresh_token] if given else []
