"""Where the command line's client configuration comes from: a config file, the environment, flags.

Precedence, lowest first: the config file (``--config`` or ``KSCARRIERS_CONFIG``), then the
``KSCARRIERS_<SLUG>_*`` environment variables of :meth:`ClientConfig.from_env`, then
``--base-url`` (which points every configured carrier at ``<base>/<slug>``, the mock server's
layout). Secrets are read, never printed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from attrs import evolve

from ..config import CarrierConfig, ClientConfig, Credentials
from ..errors import ConfigurationError

__all__ = ["load_config"]

CONFIG_VARIABLE = "KSCARRIERS_CONFIG"


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".toml":
        if sys.version_info < (3, 11):
            raise ConfigurationError(f"{path}: TOML config files need Python 3.11; use a .json file")
        import tomllib

        try:
            data: Any = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ConfigurationError(f"{path} is not valid TOML: {exc}") from None
    else:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ConfigurationError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{path} must hold an object with a 'carriers' table")
    return data


def _text(where: str, entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}.{name} must be a non-empty string")
    return value


def carriers_from_file(path: Path) -> Dict[str, Tuple[Credentials, Optional[str]]]:
    """The ``carriers`` table of a config file: ``{slug: {app_key, app_secret, base_url, extra}}``.

    Each carrier's credentials and its ``base_url`` (``None`` when the file has none).
    """
    data = _read_file(path)
    table = data.get("carriers", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{path}: 'carriers' must be a table of carrier slugs")
    found: Dict[str, Tuple[Credentials, Optional[str]]] = {}
    for slug, entry in table.items():
        where = f"{path.name}: carriers.{slug}"
        if not isinstance(entry, Mapping):
            raise ConfigurationError(f"{where} must be a table")
        extra = entry.get("extra", {})
        if not isinstance(extra, Mapping) or not all(isinstance(v, str) for v in extra.values()):
            raise ConfigurationError(f"{where}.extra must map names to strings")
        credentials = Credentials(
            app_key=_text(where, entry, "app_key"),
            app_secret=_text(where, entry, "app_secret"),
            extra={str(k): v for k, v in extra.items()},
        )
        url = _text(where, entry, "base_url") if "base_url" in entry else None
        found[str(slug).lower()] = (credentials, url)
    return found


def load_config(
    *,
    config_file: Optional[str],
    base_url: Optional[str],
    environ: Optional[Mapping[str, str]] = None,
) -> ClientConfig:
    """The client configuration the command runs with (see the module docstring).

    A carrier in the config file may leave out ``base_url`` when ``--base-url`` is given.

    Raises:
        ConfigurationError: a file or variable is missing or malformed; the message names it.
    """
    env = dict(os.environ if environ is None else environ)
    from_env = ClientConfig.from_env(env, require_carriers=False)
    path = config_file or env.get(CONFIG_VARIABLE)
    accounts = carriers_from_file(Path(path)) if path else {}
    for slug in from_env.carriers:
        accounts.pop(slug, None)  # the environment wins over the file
    root = base_url.rstrip("/") if base_url is not None else None
    carriers: Dict[str, CarrierConfig] = {
        slug: c if root is None else evolve(c, base_url=f"{root}/{slug}")
        for slug, c in from_env.carriers.items()
    }
    for slug, (credentials, url) in accounts.items():
        where = f"{root}/{slug}" if root is not None else url
        if where is None:
            raise ConfigurationError(
                f"no base_url for carrier {slug!r}: set it in the config file or pass --base-url"
            )
        carriers[slug] = CarrierConfig(credentials=credentials, base_url=where)
    return evolve(from_env, carriers=carriers)
