"""The only network code: one GET with every limit a public fetcher needs.

:class:`Fetcher` wraps urllib3 and enforces, per request: a connect timeout and a total
deadline (checked while the body streams, so a server trickling bytes cannot hold a refresh),
a cap on the body counted both on the wire and after decompression (gzip, deflate and brotli
are decoded here, chunk by chunk with output limits, so a decompression bomb stops at the cap),
a redirect limit with every hop checked, conditional GET with the stored validators, and at
most ``per_host`` requests at once to one host.

Addresses are checked where the socket is opened: the host name is resolved, every address it
resolves to must be public (unless the source allows private networks), and the connection
goes to an address that was checked. A DNS answer that changes between check and connect
(rebinding) therefore cannot reach a private address.

Charset decoding lives here too (:func:`decode_body`): the header's charset, a BOM or the
document's own declaration, in the order the HTTP and XML specs give them.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import brotli  # type: ignore[import-untyped]
import urllib3
from charset_normalizer import from_bytes
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from syndicate import __version__
from syndicate.config import FetchSettings
from syndicate.errors import FetchError, ParseError

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
# Above this much charset-detector "chaos", a guessed decoding is mojibake, not text.
MAX_DECODE_CHAOS = 0.1
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


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


class RateLimited(FetchError):
    """The server answered 429 or 503; ``retry_after`` is when it may be asked again."""

    def __init__(self, source: str, reason: str, retry_after: datetime | None) -> None:
        super().__init__(source, reason)
        self.retry_after = retry_after


class AddressRefused(Exception):
    """Raised inside a connection when the host resolves to an address we may not reach."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A body as text, the encoding used, and a note when the label was wrong."""

    text: str
    encoding: str
    note: str = ""


class Fetcher:
    """Thread-safe HTTP GETs under :class:`FetchSettings`; close it when done."""

    def __init__(self, settings: FetchSettings, *, user_agent: str = USER_AGENT) -> None:
        self.settings = settings
        self.user_agent = user_agent
        self._pools = {allow: _pool_manager(allow, settings.per_host) for allow in (False, True)}
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
                return self._finish(name, url, response, deadline)
            location = response.headers.get("Location", "")
            _discard(response)
            if not location:
                raise FetchError(name, f"HTTP {response.status} without a Location from {url}")
            url = urljoin(url, location)
            headers = _request_headers(self.user_agent, None, None)
        raise FetchError(name, f"too many redirects ({self.settings.max_redirects + 1})")

    # -- one hop -------------------------------------------------------------------------

    def _request(
        self, name: str, url: str, headers: dict[str, str], allow: bool, deadline: float
    ) -> Any:
        remaining = _remaining(name, deadline, self.settings.total_timeout)
        timeout = urllib3.Timeout(
            connect=min(self.settings.connect_timeout, remaining), read=remaining
        )
        with self._host_slot(url):
            try:
                return self._pools[allow].urlopen(
                    "GET",
                    url,
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
                raise FetchError(name, f"cannot connect to {url}: {_cause(exc)}") from exc
            except (Urllib3Timeout, TimeoutError) as exc:
                raise FetchError(name, _timed_out(self.settings.total_timeout)) from exc
            except (HTTPError, OSError) as exc:
                raise FetchError(name, f"cannot connect to {url}: {_cause(exc)}") from exc

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
                name, f"body exceeds {_size(limit)} ({_size(int(declared))} declared by {url})"
            )
        decoder = _Decoder(response.headers.get("Content-Encoding", ""), limit, name)
        chunk_size = BROTLI_CHUNK_BYTES if decoder.is_brotli else CHUNK_BYTES
        parts: list[bytes] = []
        wire = 0
        try:
            # read1 returns what has arrived (up to chunk_size), so the deadline is checked
            # after every read, however slowly the server trickles.
            while chunk := response.read1(chunk_size, decode_content=False):
                wire += len(chunk)
                if wire > limit:
                    raise FetchError(name, f"body exceeds {_size(limit)}")
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
        raise RateLimited(name, reason, retry_after)
    raise FetchError(name, reason)


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


def _cause(exc: BaseException) -> str:
    """The innermost readable reason of a urllib3/socket error."""
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


def _size(n: int) -> str:
    mib = n / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{n} bytes"


# -- content decoding with limits ----------------------------------------------------------


class _Decoder:
    """Undo Content-Encoding chunk by chunk, never producing more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int, name: str) -> None:
        self.encoding = encoding.strip().lower()
        self.limit, self.name, self.produced = limit, name, 0
        self.is_brotli = self.encoding == "br"
        self._zlib: Any = None
        self._brotli: Any = None
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._first = True
        elif self.is_brotli:
            self._brotli = brotli.Decompressor()
        elif self.encoding not in ("", "identity"):
            raise FetchError(name, f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes) -> bytes:
        try:
            if self._zlib is not None:
                return self._inflate(chunk)
            if self._brotli is not None:
                return self._unbrotli(chunk)
        except (zlib.error, brotli.error) as exc:
            raise FetchError(self.name, f"corrupt {self.encoding} body: {exc}") from exc
        return self._count(chunk)

    def flush(self) -> bytes:
        if self._zlib is not None:
            return self._count(self._zlib.flush())
        return b""

    def _inflate(self, chunk: bytes) -> bytes:
        try:
            out = self._zlib.decompress(chunk, self._room())
        except zlib.error:
            if self.encoding != "deflate" or not self._first:
                raise
            # Some servers send raw deflate (RFC 1951) instead of zlib (RFC 1950) data.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(chunk, self._room())
        self._first = False
        if self._zlib.unconsumed_tail:
            self._count(out + b"x")  # the output limit was hit with input left: too big
        return self._count(out)

    def _unbrotli(self, chunk: bytes) -> bytes:
        parts = [self._count(self._brotli.process(chunk, output_buffer_limit=self._room()))]
        while not self._brotli.can_accept_more_data():
            parts.append(self._count(self._brotli.process(b"", output_buffer_limit=self._room())))
        return b"".join(parts)

    def _room(self) -> int:
        return self.limit - self.produced + 1

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            raise FetchError(self.name, f"body exceeds {_size(self.limit)} once decompressed")
        return out


# -- charset ------------------------------------------------------------------------------


def decode_body(result: FetchResult, *, name: str = "") -> Decoded:
    """The body as text: BOM, else the header's charset, else the document's declaration.

    A label that does not decode is not trusted: the declaration, then UTF-8 are tried, and
    last a charset detector, whose guess is kept only when the text it yields is clean (so a
    Windows-1251 body labelled UTF-8 decodes as Cyrillic, with a note). Raises
    :class:`ParseError` when nothing gives readable text.
    """
    data = result.body
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(encoding, errors="replace"), encoding)
    label = _codec(result.charset)
    for encoding in _unique((label, _declared(data), "utf-8")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = (
            f"labelled {result.charset} but decoded as {encoding}"
            if label and encoding != label
            else ""
        )
        return Decoded(text, encoding, note)
    return _detected(data, label or "utf-8", name or result.url)


def _detected(data: bytes, claimed: str, name: str) -> Decoded:
    best = from_bytes(data).best()
    if best is None or best.chaos > MAX_DECODE_CHAOS:
        raise ParseError(
            name,
            f"the body is not {claimed} text as labelled, and no other encoding reads it cleanly",
        )
    encoding = _codec(best.encoding) or best.encoding
    return Decoded(
        str(best), encoding, f"the body is not {claimed} as labelled; decoded as {encoding}"
    )


def _declared(data: bytes) -> str:
    head = data[:1024]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return _codec(match[1].decode("ascii")) if match else ""


def _codec(label: str) -> str:
    if not label:
        return ""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return ""
    # WHATWG: "iso-8859-1" and "us-ascii" labels mean windows-1252; browsers decode so.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _unique(names: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))


# -- address policy ----------------------------------------------------------------------------


def address_problem(address: str) -> str:
    """Why an address may not be fetched from ("" when it is public)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return f"{ip} is a {label} address"
    return "" if ip.is_global else f"{ip} is not a public address"


def resolve_checked(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Every address ``host`` resolves to, all checked; raises AddressRefused otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressRefused(f"cannot resolve {host}: {exc.strerror}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise AddressRefused(problem)
    return addresses


class _GuardedConnection(HTTPConnection):
    """Connects only to an address of the host that passed :func:`resolve_checked`."""

    allow_private = False

    def _new_conn(self) -> socket.socket:
        name = self._dns_host
        addresses = resolve_checked(name, self.port, allow_private=self.allow_private)
        failure: NewConnectionError | None = None
        for address in addresses:
            self._dns_host = address  # urllib3 resolves _dns_host; give it the checked address
            try:
                return super()._new_conn()
            except NewConnectionError as exc:
                failure = exc
            finally:
                self._dns_host = name  # TLS SNI and certificate checks use the name
        assert failure is not None  # getaddrinfo never returns an empty list
        raise failure


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


def _pool_manager(allow_private: bool, per_host: int) -> urllib3.PoolManager:
    plain = type("Conn", (_GuardedConnection,), {"allow_private": allow_private})
    tls = type("TLSConn", (_GuardedHTTPSConnection,), {"allow_private": allow_private})
    manager = urllib3.PoolManager(num_pools=64, maxsize=per_host, block=False)
    manager.pool_classes_by_scheme = {
        "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
        "https": type("TLSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }
    return manager
