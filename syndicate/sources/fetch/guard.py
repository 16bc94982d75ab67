"""Which addresses a fetch may reach, enforced where the socket is opened.

The host name is resolved, every address it resolves to must be public (unless private networks
are allowed), and the connection goes to an address that was checked: a DNS answer that changes
between check and connect (rebinding) cannot reach a private address. :func:`pool_manager`
builds urllib3 pools whose connections do this.

Name resolution goes through one seam, :data:`resolver` (``socket.getaddrinfo`` by default),
so tests can make a public-looking name resolve to a private address without touching DNS.

A response's status line and headers are read under the request's total deadline
(:func:`deadline`): a server that sends header lines forever, each just inside the socket
timeout (slowloris), has its connection shut down when the deadline passes.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

Resolver = Callable[..., list[Any]]
resolver: Resolver = socket.getaddrinfo  # the one seam of name resolution
_deadlines = threading.local()


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Requests of this thread inside the block must have their headers by ``at``
    (``time.monotonic()``)."""
    _deadlines.at = at
    try:
        yield
    finally:
        _deadlines.at = None


class AddressRefused(Exception):
    """Raised inside a connection when the host resolves to an address we may not reach."""


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
        infos = resolver(host, port, type=socket.SOCK_STREAM)
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

    def getresponse(self) -> Any:
        """The response, its headers read by the thread's deadline or the socket shut down."""
        at = getattr(_deadlines, "at", None)
        sock = self.sock
        if at is None or sock is None:
            return super().getresponse()
        fired = threading.Event()
        watchdog = threading.Timer(max(0.0, at - time.monotonic()), _shut, (sock, fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            response = super().getresponse()
        finally:
            watchdog.cancel()
        if fired.is_set():  # what was read before the shutdown is no complete response
            response.close()
            raise TimeoutError("the response headers did not arrive by the deadline")
        return response


def _shut(sock: socket.socket, fired: threading.Event) -> None:
    fired.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


def pool_manager(allow_private: bool, per_host: int) -> urllib3.PoolManager:
    """A pool manager whose connections go only to checked addresses."""
    plain = type("Conn", (_GuardedConnection,), {"allow_private": allow_private})
    tls = type("TLSConn", (_GuardedHTTPSConnection,), {"allow_private": allow_private})
    manager = urllib3.PoolManager(num_pools=64, maxsize=per_host, block=False)
    manager.pool_classes_by_scheme = {
        "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
        "https": type("TLSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }
    return manager
