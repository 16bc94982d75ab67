"""The admin pages' login: an admin token, once, for a signed session cookie; CSRF on forms.

Sessions are Flask's own (signed with ``itsdangerous``; nothing is kept server-side): the
cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the site is served over https,
limited to ``/admin`` and to ``admin.session_hours``. It names the token it came from, and
every request checks that token is still live: revoking it (or changing
``SYNDICATE_ADMIN_TOKEN``) ends its sessions at once. Every form carries a CSRF token
(Flask-WTF's ``CSRFProtect``, tied to the session); a POST without a valid one is refused.

The signing key is ``SYNDICATE_SECRET_KEY`` when set. Otherwise one is made on first use and
kept in ``admin.secret_key_file`` (``var/secret_key``, mode 0600), so logins survive
restarts; several machines must share one key (set the variable), or a session made on one
is refused by the others.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, Request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from syndicate.config import Settings
from syndicate.store import ADMIN, Store
from syndicate.web.auth import ENV_TOKEN_NAME, Principal

log = logging.getLogger(__name__)
CSRF_KEY = "syndicate.csrf"
KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class Login:
    """Who is logged in: the admin token's name."""

    name: str


def configure(app: Flask, settings: Settings) -> CSRFProtect:
    """Session cookie policy and CSRF protection for the app (the key is set on first use)."""
    app.config.update(
        SESSION_COOKIE_NAME="syndicate_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.site.base_url.startswith("https://"),
        SESSION_COOKIE_PATH="/admin",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.admin.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # as long as the session: a form left open an hour still works
        WTF_CSRF_CHECK_DEFAULT=False,  # only the admin's forms: the API and Micropub use tokens
    )
    csrf = CSRFProtect(app)
    app.extensions[CSRF_KEY] = csrf
    app.session_interface = AdminSessions(settings)
    return csrf


class AdminSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for ``/admin`` only: the signing key is found (or
    made) on the first admin request, and readers' requests never open a session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith("/admin"):
            return None  # a null session: nothing to read, nothing ever sent
        ensure_key(app, self.settings)
        return super().open_session(app, request)


def ensure_key(app: Flask, settings: Settings) -> None:
    """Give the app its signing key, made and kept on first use when none is configured."""
    if app.secret_key:
        return
    app.secret_key = settings.secret_key or kept_secret(
        Path(settings.admin.secret_key_file), "the admin session key", "SYNDICATE_SECRET_KEY"
    )


def kept_secret(path: Path, what: str, variable: str) -> str:
    """The random secret kept in ``path``, made there (mode 0600) on first use; of several
    processes starting at once, the first to write it wins and the others read it."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.warning("generated %s in %s; set %s to share one between machines", what, path, variable)
    return key


def log_in(principal: Principal, store: Store, env_token: str) -> None:
    """Start a session for an admin token."""
    session.clear()
    session.permanent = True
    session["who"] = principal.name
    session["mark"] = _mark(principal.name, store, env_token)


def log_out() -> None:
    session.clear()


def current(store: Store, env_token: str) -> Login | None:
    """The logged-in admin, if the session's token is still live."""
    name = session.get("who")
    if not isinstance(name, str):
        return None
    mark = _mark(name, store, env_token)
    if not mark or session.get("mark") != mark:
        return None
    return Login(name)


def _mark(name: str, store: Store, env_token: str) -> str:
    """What must not have changed since login: the token (its hash prefix for the variable,
    its creation time for a stored one); "" when it is gone or revoked."""
    if name == ENV_TOKEN_NAME:
        return hashlib.sha256(env_token.encode()).hexdigest()[:16] if env_token else ""
    token = store.tokens.get(name)
    if token is None or token.revoked is not None or token.scope != ADMIN:
        return ""
    return token.created.isoformat()
