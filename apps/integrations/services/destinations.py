"""Where webhooks may be sent: publicly routable addresses only, checked when subscribing and when sending.

A webhook makes the server issue requests to a URL a client chose, so without a check a client could
reach the database, the broker, the cloud metadata service or anything else on the internal network.
Every address the host name resolves to must be global (not loopback, private, link-local, unique-local,
shared, reserved, multicast or unspecified). A name is resolved again at each delivery and the connection
goes to the address that was checked, so a DNS answer that changes in between cannot swap an internal
address in; redirects are never followed.

``WEBHOOK_ALLOWED_HOSTS`` (exact host names or literal addresses) lifts the check for development and
tests. Every refusal reads the same, "refused", whatever the reason (a private address, a name that does
not resolve): a client learns nothing about the internal network from it.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

REFUSED = "refused"
SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationRefused(Exception):
    """The URL may not receive webhooks. Its text is always :data:`REFUSED`."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    address: str  # the checked address the connection goes to
    target: str  # path and query sent in the request line


def _allowed_hosts() -> set[str]:
    return {host.strip().lower().strip("[]") for host in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", [])}


def is_public(address: str) -> bool:
    """True for a globally routable unicast address; IPv4 inside IPv6 (mapped, 6to4…) is judged as IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if ip in NAT64:  # the well-known NAT64 prefix carries an IPv4 address in its last 32 bits
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        raise DestinationRefused from None
    scheme, host = split.scheme.lower(), (split.hostname or "").lower()
    if scheme not in SCHEMES or not host or split.username is not None or split.password is not None:
        raise DestinationRefused
    target = split.path or "/"
    if split.query:
        target = f"{target}?{split.query}"
    return scheme, host, port or SCHEMES[scheme], target


def resolve(url: str) -> Destination:
    """Check the URL and pick the address to connect to; :class:`DestinationRefused` when not allowed."""
    scheme, host, port, target = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationRefused from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise DestinationRefused
    if host not in _allowed_hosts() and not all(is_public(a) for a in addresses):
        raise DestinationRefused
    return Destination(scheme, host, port, addresses[0], target)


def check(url: str) -> None:
    """At subscription: refuse a URL that could not receive a delivery now (an allowed host need not
    resolve yet)."""
    _scheme, host, _port, _target = _parts(url)
    if host not in _allowed_hosts():
        resolve(url)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate verified against the host name."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(
            destination.host, destination.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = destination.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST to a checked destination; the response status (redirects are answers, not followed)."""
    destination = resolve(url)
    connection_class = _PinnedHTTPS if destination.scheme == "https" else _PinnedHTTP
    connection = connection_class(destination, timeout)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
