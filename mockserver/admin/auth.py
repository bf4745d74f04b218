"""Admin authentication and scopes: every ``/__admin`` request proves who it is first.

With ``ADMIN_TOKEN`` (or ``TEAM_TOKENS``) set, a request under ``/__admin`` (the API, the
OpenAPI document and any page mounted there) without valid credentials answers 401 with a JSON
error and a ``WWW-Authenticate`` challenge, before any route runs. The caller's
:class:`Principal` then limits what the routes show and change: see
``docs/security.md``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Mapping
from typing import Callable, Optional

from attrs import frozen
from flask import Response, g, jsonify, request
from flask.blueprints import BlueprintSetupState

from mockserver.errors import ApiError
from mockserver.services import Services, get_services
from mockserver.world import Account

__all__ = [
    "ADMIN_PREFIX",
    "CHALLENGE",
    "OPEN",
    "Principal",
    "authenticate",
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


@frozen
class Principal:
    """Who is calling the admin API.

    ``kind`` is ``"open"`` (no token configured: everybody has full access), ``"global"`` (the
    admin token: full access), ``"team"`` (a team token: the accounts of ``team``) or
    ``"account"`` (an account's own secret: that ``account`` only).
    """

    kind: str
    team: Optional[str] = None
    account: Optional[tuple[str, str]] = None

    @property
    def is_global(self) -> bool:
        """Whether the caller may see and change everything."""
        return self.kind in ("open", "global")

    def owns(self, account: Account) -> bool:
        """Whether ``account`` is in the caller's scope."""
        if self.is_global:
            return True
        if self.kind == "team":
            return account.team is not None and account.team == self.team
        return account.key == self.account

    def describe(self) -> str:
        """The scope in words, for error messages (never a token)."""
        if self.is_global:
            return "full access"
        if self.kind == "team":
            return f"team {self.team!r}"
        carrier, app_key = self.account or ("", "")
        return f"account {carrier}/{app_key}"


OPEN = Principal("open")


def _same(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets (their length aside)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _token_principal(
    token: str, admin_token: Optional[str], team_tokens: Mapping[str, str]
) -> Optional[Principal]:
    found: Optional[Principal] = None
    # Every configured token is compared, so that the time taken does not say which one was close.
    if admin_token is not None and _same(token, admin_token):
        found = Principal("global")
    for team, team_token in team_tokens.items():
        if _same(token, team_token) and found is None:
            found = Principal("team", team=team)
    return found


def _basic(value: str) -> Optional[tuple[str, str]]:
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, colon, password = text.partition(":")
    return (user, password) if colon else None


def authenticate(
    header: Optional[str],
    *,
    admin_token: Optional[str],
    team_tokens: Mapping[str, str],
    find_account: Callable[[str, str], Optional[Account]],
) -> Optional[Principal]:
    """The caller that the ``Authorization`` header proves, or ``None`` (answer 401).

    With no token configured everybody is :data:`OPEN`. Otherwise the header is one of:

    * ``Bearer <token>``: the admin token (full access) or a team token (its team);
    * ``Basic`` of ``<any user>:<token>``: the same, for a browser (the dashboard, Swagger UI);
    * ``Basic`` of ``<carrier>/<app_key>:<app_secret>``: that account alone.

    Every secret is compared in constant time.
    """
    if admin_token is None and not team_tokens:
        return OPEN
    scheme, _, credentials = (header or "").strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return None
    if scheme.lower() == "bearer":
        return _token_principal(credentials, admin_token, team_tokens)
    if scheme.lower() != "basic":
        return None
    pair = _basic(credentials)
    if pair is None:
        return None
    user, password = pair
    carrier, slash, app_key = user.partition("/")
    if not slash:
        return _token_principal(password, admin_token, team_tokens)
    account = find_account(carrier, app_key) if carrier and app_key else None
    # Compared even for an unknown account, so that the time does not tell which accounts exist.
    if _same(password, account.app_secret if account is not None else "\0" * 16) and account is not None:
        return Principal("account", account=account.key)
    return None


def principal() -> Principal:
    """The caller of the current admin request (:data:`OPEN` without tokens)."""
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
