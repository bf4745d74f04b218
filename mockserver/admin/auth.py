"""Admin authentication and scopes: every ``/__admin`` request proves who it is first.

With ``ADMIN_TOKEN`` (or ``TEAM_TOKENS``) set, a request under ``/__admin`` (the API, the
OpenAPI document and any page mounted there) without valid credentials answers 401 with a JSON
error and a ``WWW-Authenticate`` challenge, before any route runs. The caller's
:class:`~mockserver.security.Principal` then limits what the routes show and change: see
``docs/security.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from flask import Response, g, jsonify, request
from flask.blueprints import BlueprintSetupState

from mockserver.errors import ApiError
from mockserver.security import OPEN, Principal, authenticate
from mockserver.services import Services, get_services
from mockserver.world import Account

__all__ = [
    "ADMIN_PREFIX",
    "CHALLENGE",
    "Principal",
    "install_auth",
    "keys_in_scope",
    "principal",
    "require_global",
    "visible",
]

#: Where the admin API (and every page under it) is mounted.
ADMIN_PREFIX = "/__admin"

#: The ``WWW-Authenticate`` of a 401: a bearer token, or Basic (how a browser asks for one).
CHALLENGE = 'Bearer realm="mockserver admin", Basic realm="mockserver admin", charset="UTF-8"'

_G_KEY = "mockserver_principal"


def principal() -> Principal:
    """The caller of the current admin request (:data:`~mockserver.security.OPEN` without tokens)."""
    found = g.get(_G_KEY)
    return found if isinstance(found, Principal) else OPEN


def require_global(what: str) -> None:
    """Refuse (403 ``forbidden``) a caller without full access.

    Args:
        what: what needs full access, e.g. ``"resetting the whole server"``.
    """
    caller = principal()
    if not caller.is_global:
        raise ApiError(
            code="forbidden",
            status=403,
            message=f"{what} needs the admin token; these credentials manage {caller.describe()} only",
        )


def visible(accounts: Iterable[Account]) -> list[Account]:
    """The accounts the caller may see."""
    caller = principal()
    return [a for a in accounts if caller.owns(a)]


def keys_in_scope(hub: Services) -> Optional[frozenset[tuple[str, str]]]:
    """The ``(carrier, app_key)`` of every account the caller may see; ``None``: everything."""
    caller = principal()
    if caller.is_global:
        return None
    return frozenset(a.key for a in hub.store.list_accounts() if caller.owns(a))


def _unauthorized(message: str, *, wrong: bool) -> Response:
    answer = jsonify({"error": "unauthorized", "message": message})
    answer.status_code = 401
    answer.headers["WWW-Authenticate"] = CHALLENGE + (', error="invalid_token"' if wrong else "")
    return answer


def _authenticate() -> Optional[Response]:
    if request.path != ADMIN_PREFIX and not request.path.startswith(ADMIN_PREFIX + "/"):
        return None  # carrier endpoints: each carrier's own signature, as before
    hub = get_services()
    header = request.headers.get("Authorization")
    found = authenticate(
        header,
        admin_token=hub.config.get("ADMIN_TOKEN"),
        team_tokens=hub.config.get("TEAM_TOKENS") or {},
        find_account=hub.store.get_account,
    )
    if found is None:
        if not header:
            return _unauthorized(
                "the admin API of this server needs credentials: send Authorization: Bearer <admin "
                "or team token>, or Basic <carrier>/<app_key>:<app_secret> (see docs/security.md)",
                wrong=False,
            )
        return _unauthorized("the credentials sent were not accepted (see docs/security.md)", wrong=True)
    g.setdefault(_G_KEY, found)
    return None


def install_auth(state: BlueprintSetupState) -> None:
    """Run :func:`_authenticate` before every request of the app (it acts on ``/__admin`` only).

    App-wide rather than on the admin blueprint, so that unknown paths and pages that other
    blueprints mount under ``/__admin`` (a dashboard, Swagger UI) are covered too.
    """
    state.app.before_request(_authenticate)
