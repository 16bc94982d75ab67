"""Which addresses a fetch may reach, enforced where the socket is opened.

The host name is resolved, every address it resolves to must be public (unless private networks
are allowed), and the connection goes to an address that was checked: a DNS answer that changes
between check and connect (rebinding) cannot reach a private address. :func:`pool_manager`
builds urllib3 pools whose connections do this.
"""

from __future__ import annotations

import ipaddress
import socket

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError


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
