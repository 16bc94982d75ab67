"""Partners' keys on the feed URLs: finding the key a request presents, and the answers to a
wrong one.

A partner sends its key as ``Authorization: Bearer <key>``, or, for readers that cannot send
headers, as ``?key=<key>`` on any feed URL. The key is checked against the store on every
request (one indexed read: a revoked key fails on the very next request, in every process),
before any cached document is looked at. A wrong or revoked key is answered ``401`` with
``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750 §3.1) and counts as a failure of
the client's address, like a wrong API token (:mod:`.auth`): too many, and the address is
refused with ``429`` for a while. A right key for a feed its terms do not include is ``403``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

StartResponse = Callable[..., Any]
KEY_PARAMETER = "key"
TEXT = "text/plain; charset=utf-8"
NO_STORE = [("Content-Type", TEXT), ("Cache-Control", "no-store")]


def presented_key(environ: dict[str, Any], query: str) -> str:
    """The partner key of a request ("" when it presents none)."""
    header: str = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return given.strip()
    if f"{KEY_PARAMETER}=" in query:
        found = [value for name, value in parse_qsl(query) if name == KEY_PARAMETER]
        return found[-1].strip() if found else ""
    return ""


def without_key(query: str) -> str:
    """The query string with the key taken out (what the document depends on)."""
    if f"{KEY_PARAMETER}=" not in query:
        return query
    return urlencode([(k, v) for k, v in parse_qsl(query) if k != KEY_PARAMETER])


def unauthorized(start_response: StartResponse) -> Iterable[bytes]:
    """The answer to a wrong or revoked key."""
    body = b"401 Unauthorized: this key is wrong or has been revoked\n"
    challenge = ("WWW-Authenticate", 'Bearer realm="feeds", error="invalid_token"')
    start_response("401 Unauthorized", [*NO_STORE, challenge, _length(body)])
    return [body]


def forbidden(start_response: StartResponse, reason: str) -> Iterable[bytes]:
    """The answer to a key whose terms do not include the feed."""
    body = f"403 Forbidden: {reason}\n".encode()
    start_response("403 Forbidden", [*NO_STORE, _length(body)])
    return [body]


def too_many(start_response: StartResponse, wait: int) -> Iterable[bytes]:
    """The answer to an address with too many wrong keys lately."""
    body = b"429 Too Many Requests: too many wrong keys from this address\n"
    start_response("429 Too Many Requests", [*NO_STORE, ("Retry-After", str(wait)), _length(body)])
    return [body]


def _length(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))
