"""The guarded HTTP client: every outbound request, with every limit a public fetcher needs.

:class:`Fetcher` wraps urllib3 and enforces, per request: a connect timeout and a total
deadline (checked while the body streams, so a server trickling bytes cannot hold a refresh),
a cap on the body counted both on the wire and after decompression
(:mod:`~syndicate.sources.fetch.decompress`), a redirect limit with every hop checked,
conditional GET with the stored validators, and at most ``per_host`` requests at once to one
host. Addresses are checked where the socket is opened (:mod:`~syndicate.sources.fetch.guard`).

:meth:`Fetcher.post` sends WebSub pings through the same guards. The body's text comes from
the one charset chain (:func:`decode_body`,
:mod:`syndicate.sources.charset`), with the header's charset as its label.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from syndicate import __version__
from syndicate.config import FetchSettings
from syndicate.errors import FetchError
from syndicate.sources import charset
from syndicate.sources.fetch.decompress import LimitedDecoder, human_size
from syndicate.sources.fetch.guard import AddressRefused, pool_manager
from syndicate.sources.fetch.guard import deadline as header_deadline

USER_AGENT = f"syndicate/{__version__} (feed publisher; +https://github.com/syndicate)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, "
    "text/html;q=0.8, application/json;q=0.8, */*;q=0.5"
)
ACCEPT_ENCODING = "gzip, deflate, br"
CHUNK_BYTES = 64 * 1024
BROTLI_CHUNK_BYTES = 4 * 1024  # brotli expands the most: feed it in small bites
DRAIN_BYTES = 64 * 1024  # bodies of redirects and errors up to this are read to reuse the socket
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RATE_LIMITED = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful response (2xx) or a 304 (``not_modified``, empty body).

    ``url`` is the final URL after redirects; ``etag`` and ``last_modified`` are the validators
    to send next time (``None`` when the server gave none); ``charset`` is the header's label.
    """

    status: int
    body: bytes
    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    charset: str = ""

    @property
    def not_modified(self) -> bool:
        """True for a 304: nothing to parse, the stored articles are current."""
        return self.status == 304


class StatusError(FetchError):
    """The server answered with a status that is no success; ``status`` is that status."""

    def __init__(self, source: str, reason: str, status: int) -> None:
        super().__init__(source, reason)
        self.status = status


class RateLimited(StatusError):
    """The server answered 429 or 503; ``retry_after`` is when it may be asked again."""

    def __init__(
        self, source: str, reason: str, retry_after: datetime | None, status: int = 503
    ) -> None:
        super().__init__(source, reason, status)
        self.retry_after = retry_after


class Fetcher:
    """Thread-safe HTTP GETs under :class:`FetchSettings`; close it when done."""

    def __init__(self, settings: FetchSettings, *, user_agent: str = USER_AGENT) -> None:
        self.settings = settings
        self.user_agent = user_agent
        self._pools = {allow: pool_manager(allow, settings.per_host) for allow in (False, True)}
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close pooled connections."""
        for manager in self._pools.values():
            manager.clear()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = False,
        source: str = "",
    ) -> FetchResult:
        """GET ``url``, following redirects; raises :class:`FetchError` with a readable reason.

        ``source`` names the failure (defaults to the URL). Validators are sent only to the
        first URL: a redirect target is a different resource.
        """
        deadline = time.monotonic() + self.settings.total_timeout
        allow = allow_private or self.settings.allow_private_networks
        headers = _request_headers(self.user_agent, etag, last_modified)
        name = source or url
        for _hop in range(self.settings.max_redirects + 1):
            _check_scheme(name, url)
            response = self._request(name, url, headers, allow, deadline)
            if response.status not in REDIRECTS:
                if response.status == 304 and not (etag or last_modified):
                    _discard(response)
                    raise FetchError(
                        name, f"HTTP 304 Not Modified from {url} to a request without validators"
                    )
                return self._finish(name, url, response, deadline)
            etag = last_modified = None  # a redirect target is another resource
            location = response.headers.get("Location", "")
            _discard(response)
            if not location:
                raise FetchError(name, f"HTTP {response.status} without a Location from {url}")
            url = urljoin(url, location)
            headers = _request_headers(self.user_agent, None, None)
        raise FetchError(name, f"too many redirects ({self.settings.max_redirects + 1})")

    def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        allow_private: bool = False,
        source: str = "",
    ) -> int:
        """POST ``body`` to ``url``; the response status (any, 3xx included: not followed).

        The same guards as :meth:`get` (scheme, addresses, deadline); the response body is
        read up to a small limit and dropped. Raises :class:`FetchError` when there is no
        response at all.
        """
        deadline = time.monotonic() + self.settings.total_timeout
        allow = allow_private or self.settings.allow_private_networks
        name = source or url
        _check_scheme(name, url)
        sent = {"User-Agent": self.user_agent, "Content-Type": content_type, **(headers or {})}
        response = self._request(name, url, sent, allow, deadline, method="POST", body=body)
        _discard(response)
        return int(response.status)

    # -- one hop -------------------------------------------------------------------------

    def _request(
        self,
        name: str,
        url: str,
        headers: dict[str, str],
        allow: bool,
        deadline: float,
        *,
        method: str = "GET",
        body: bytes | None = None,
    ) -> Any:
        remaining = _remaining(name, deadline, self.settings.total_timeout)
        timeout = urllib3.Timeout(
            connect=min(self.settings.connect_timeout, remaining), read=remaining
        )
        with self._host_slot(url), header_deadline(deadline):
            try:
                return self._pools[allow].urlopen(
                    method,
                    url,
                    body=body,
                    headers=headers,
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    decode_content=False,
                    timeout=timeout,
                )
            except AddressRefused as exc:
                raise FetchError(name, f"refused: {exc}") from exc
            except NewConnectionError as exc:  # a subclass of urllib3's timeout: catch it first
                raise FetchError(
                    name, f"cannot connect to {_host_port(url)}: {_cause(exc)}"
                ) from exc
            except (Urllib3Timeout, TimeoutError) as exc:
                raise FetchError(name, _timed_out(self.settings.total_timeout)) from exc
            except (HTTPError, OSError) as exc:
                if time.monotonic() >= deadline:  # the watchdog shut a slow server's socket
                    raise FetchError(name, _timed_out(self.settings.total_timeout)) from exc
                raise FetchError(
                    name, f"cannot connect to {_host_port(url)}: {_cause(exc)}"
                ) from exc

    def _finish(self, name: str, url: str, response: Any, deadline: float) -> FetchResult:
        if response.status == 304:
            _discard(response)
            return _result(response, url, b"")
        if not 200 <= response.status < 300:
            _discard(response)
            _check_status(name, url, response)
        try:
            body = self._read_body(name, url, response, deadline)
        except FetchError:
            response.close()  # the rest of the body is unread: the socket cannot be reused
            raise
        response.release_conn()
        return _result(response, url, body)

    def _read_body(self, name: str, url: str, response: Any, deadline: float) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                name,
                f"body exceeds {human_size(limit)} ({human_size(int(declared))} declared by {url})",
            )
        decoder = LimitedDecoder(response.headers.get("Content-Encoding", ""), limit, name)
        chunk_size = BROTLI_CHUNK_BYTES if decoder.is_brotli else CHUNK_BYTES
        parts: list[bytes] = []
        wire = 0
        try:
            # read1 returns what has arrived (up to chunk_size), so the deadline is checked
            # after every read, however slowly the server trickles.
            while chunk := response.read1(chunk_size, decode_content=False):
                wire += len(chunk)
                if wire > limit:
                    raise FetchError(name, f"body exceeds {human_size(limit)}")
                parts.append(decoder.feed(chunk))
                _set_read_timeout(response, _remaining(name, deadline, self._total))
            parts.append(decoder.flush())
        except (Urllib3Timeout, TimeoutError) as exc:
            raise FetchError(name, _timed_out(self._total)) from exc
        except (HTTPError, OSError) as exc:
            raise FetchError(name, f"transfer from {url} failed: {_cause(exc)}") from exc
        return b"".join(parts)

    @property
    def _total(self) -> float:
        return self.settings.total_timeout

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            slot = self._host_slots.get(host)
            if slot is None:
                slot = self._host_slots[host] = threading.BoundedSemaphore(self.settings.per_host)
            return slot


# -- response helpers ----------------------------------------------------------------------


def _request_headers(
    user_agent: str, etag: str | None, last_modified: str | None
) -> dict[str, str]:
    headers = {"User-Agent": user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _check_scheme(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(name, f"refused: {url!r} is not an http(s) URL")


def _discard(response: Any) -> None:
    """Finish with a response whose body we do not want, keeping the connection if cheap."""
    declared = response.headers.get("Content-Length", "")
    try:
        if declared.isdigit() and int(declared) <= DRAIN_BYTES:
            response.drain_conn()
            response.release_conn()
        else:
            response.close()  # an unknown or large body: drop the connection instead
    except (HTTPError, OSError):
        response.close()


def _check_status(name: str, url: str, response: Any) -> None:
    status = int(response.status)
    reason = f"HTTP {status} {response.reason or ''}".rstrip() + f" from {url}"
    if status in RATE_LIMITED:
        retry_after = parse_retry_after(response.headers.get("Retry-After", ""))
        if retry_after is not None:
            reason += f"; retry after {retry_after.isoformat()}"
        raise RateLimited(name, reason, retry_after, status)
    raise StatusError(name, reason, status)


def _result(response: Any, url: str, body: bytes) -> FetchResult:
    content_type = response.headers.get("Content-Type", "")
    mime, _, params = content_type.partition(";")
    charset = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", params, re.I)
    return FetchResult(
        status=int(response.status),
        body=body,
        url=url,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        content_type=mime.strip().lower(),
        charset=charset[1] if charset else "",
    )


def parse_retry_after(value: str, *, now: datetime | None = None) -> datetime | None:
    """When a ``Retry-After`` (seconds or an HTTP date, RFC 9110 §10.2.3) allows a retry."""
    value = value.strip()
    now = now or datetime.now(UTC)
    if value.isdigit():
        return datetime.fromtimestamp(now.timestamp() + int(value), UTC)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _remaining(name: str, deadline: float, total: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(name, _timed_out(total))
    return left


def _set_read_timeout(response: Any, seconds: float) -> None:
    """Shrink the socket timeout to what is left of the total deadline."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _timed_out(total: float) -> str:
    return f"timed out after {total:g} s"


# urllib3 starts its messages with the repr of its connection object:
# "Conn(host='127.0.0.1', port=8080): Failed to establish a new connection: [Errno 111] ...".
_CONNECTION_REPR = re.compile(r"^\s*<?[\w.]+(?:\([^)]*\)| object at 0x[0-9a-f]+)>?:\s*")
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")


def _cause(exc: BaseException) -> str:
    """The innermost readable reason of a urllib3/socket error, without library internals
    (connection reprs, errno numbers): "connection refused", "connection reset by peer"."""
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    while (stripped := _CONNECTION_REPR.sub("", text, count=1)) != text:
        text = stripped
    text = _ERRNO.sub("", text.removeprefix("Failed to establish a new connection: "))
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _host_port(url: str) -> str:
    """``host:port`` of a URL (the scheme's default port when none is given)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def decode_body(
    result: FetchResult, *, name: str = "", policy: charset.Policy = charset.LABELLED
) -> charset.Decoded:
    """The body as text by the one charset chain, the header's charset as its label.

    Raises :class:`~syndicate.errors.ParseError` when nothing reads it cleanly (under the
    default policy, for feeds: a Windows-1251 body labelled UTF-8 is repaired by detection,
    with a note; bytes nothing reads are refused).
    """
    return charset.decode(result.body, name or result.url, policy=policy, label=result.charset)
