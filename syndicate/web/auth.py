"""Who may write: bearer tokens, their scopes, and a limit on failed attempts per client.

Tokens come from ``syndicate token create`` (kept as hashes, see ``syndicate.store.tokens``),
plus ``SYNDICATE_ADMIN_TOKEN`` when it is set, which is an admin token as it always was. Every
comparison of secret material is constant-time (:func:`hmac.compare_digest`). Tokens are never
logged, and never echoed back in an answer.

Failed attempts are limited per client address: after :data:`MAX_FAILURES` failures within
:data:`WINDOW` seconds, the address is refused (429, with ``Retry-After``) until the oldest of
them is out of the window, even with a good token. The count lives in each process: with N
web processes a client gets up to N times as many tries, which for 256-bit tokens changes
nothing; put a shared limit in the reverse proxy if the number must be exact. Behind a proxy,
the address is the proxy's unless the WSGI server is told the client's (werkzeug's
``ProxyFix``).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from flask import Request, current_app

from syndicate.store import ADMIN, Store
from syndicate.text.dates import utc_now

MAX_FAILURES = 10
WINDOW = 300.0  # seconds
ENV_TOKEN_NAME = "SYNDICATE_ADMIN_TOKEN"
LIMITER_KEY = "syndicate.auth.limiter"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is: a token's name and scope."""

    name: str
    scope: str

    def allows(self, scope: str) -> bool:
        return self.scope == ADMIN or self.scope == scope


class FailureLimiter:
    """Failed authentications per client address, in a sliding window; thread-safe."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """Seconds the address must wait before trying again; 0 when it may try now."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - self.clock()) + 1)

    def failed(self, address: str) -> None:
        """Count one failed attempt of the address."""
        with self._lock:
            self._recent(address).append(self.clock())
            if len(self._failures) > 100_000:  # a flood of addresses: forget the quiet ones
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures


def limiter() -> FailureLimiter:
    """The running app's limiter."""
    found: FailureLimiter = current_app.extensions[LIMITER_KEY]
    return found


def bearer(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``, or ""."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""


def authenticate(secret: str, store: Store, env_token: str) -> Principal | None:
    """The principal a token is, or ``None``."""
    if not secret:
        return None
    if env_token and hmac.compare_digest(secret.encode(), env_token.encode()):
        return Principal(ENV_TOKEN_NAME, ADMIN)
    token = store.tokens.verify(secret, now=utc_now())
    return Principal(token.name, token.scope) if token is not None else None


def admin_possible(store: Store, env_token: str) -> bool:
    """Whether any admin token exists (the admin pages are off without one)."""
    return bool(env_token) or store.tokens.any_admin()


def client_address(request: Request) -> str:
    return request.remote_addr or "unknown"
