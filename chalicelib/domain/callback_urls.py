"""Where partner callbacks (反馈, §7) may go: the guard against server-side request forgery.

A callback URL is the one address an outside party gives the service to POST to. Left
unchecked, it would turn the callback sender into a way into the service's own network: the
cloud metadata endpoint (169.254.169.254 hands out the function's credentials), loopback,
private ranges. The same rules apply when a partner is registered or changed (a 422 naming
`callback_url`) and again at each delivery, where the sender also checks every address the
host resolves to, and connects to the address it checked (DNS rebinding).

Refused: a scheme other than https in cloud stages; a user name or password in the URL; host
names that only mean something inside a network (`localhost`, `*.localhost`, `*.internal`,
`*.local`, the cloud metadata names, a name of one label); and literal addresses in any of the
forms URL parsers accept (`127.1`, `2130706433`, `0x7f.0.0.1`, `[::ffff:127.0.0.1]`) that are
not public: private, loopback, link-local, unspecified, multicast, reserved, shared (CGNAT
100.64.0.0/10), and the metadata addresses. The local stage may allow loopback (its callback
sink listens on 127.0.0.1), by a setting cloud stages refuse (`config.Settings`).

Nothing here does I/O: resolving and connecting are the webhook adapter's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CallbackPolicy:
    """What a stage lets callback URLs name: cloud stages `https_only`, and never loopback."""

    https_only: bool = True
    allow_loopback: bool = False


CLOUD_POLICY = CallbackPolicy()

METADATA_NAMES = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    "metadata.tencentyun.com", "metadata.azure.internal",
})
"""Host names cloud providers give their instance metadata services."""

INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain", ".home.arpa")
"""Names that resolve only inside a network (RFC 6762, RFC 8375, ICANN's `.internal`)."""

METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "169.254.0.23"))
"""AWS (IPv4, IPv6, ECS task credentials), Alibaba Cloud, Tencent Cloud."""

_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")


def request_target(url: str) -> str:
    """What the POST line carries and the signature covers: the path (`/` if none) and the query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def url_problem(url: str, policy: CallbackPolicy) -> str | None:
    """Why the service will not POST to `url` under `policy`, or None. Does not resolve the host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if "@" in parts.netloc:
        return "must not carry a user name or password"
    if any(ord(c) <= 0x20 or ord(c) >= 0x7f for c in request_target(url)):
        return "must have an ASCII path and query without spaces"
    problem = host_problem(_host(parts), policy)
    if problem is None and policy.https_only and parts.scheme != "https":
        return "must use https"
    return problem


def host_problem(host: str, policy: CallbackPolicy) -> str | None:
    """Why a callback may not go to this host name or literal address, or None."""
    host = host.lower().removesuffix(".")
    if not host:
        return "must name a host"
    try:
        address = literal_address(host)
    except ValueError:
        return "names a host that is neither a valid address nor a valid host name"
    if address is not None:
        return address_problem(address, policy)
    if not _HOST_NAME.match(host):
        return "names a host that is neither a valid address nor a valid host name"
    if host == "localhost" or host.endswith(".localhost"):
        return None if policy.allow_loopback else "must not name localhost"
    if host in METADATA_NAMES:
        return "must not name a cloud metadata service"
    if host.endswith(INTERNAL_SUFFIXES) or "." not in host:
        return "must name a public host (a fully qualified name, not an internal one)"
    return None


def address_problem(address: IPAddress, policy: CallbackPolicy) -> str | None:
    """Why a callback may not go to this address ("must not be a private address"), or None."""
    kind = address_kind(address, policy)
    return f"must not be {kind}" if kind else None


def address_kind(address: IPAddress, policy: CallbackPolicy) -> str | None:
    """What keeps a callback from this address ("a private address"), or None: only public
    unicast addresses pass (and loopback where `policy` allows it). An IPv6 address embedding an
    IPv4 one (mapped, 6to4, NAT64) is judged by the IPv4 address too."""
    mapped = getattr(address, "ipv4_mapped", None)
    for candidate in (mapped,) if mapped else (*_embedded_ipv4(address), address):
        if candidate in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if candidate.is_loopback:
            if policy.allow_loopback:
                continue
            return "a loopback address"
        kind = _kind(candidate)
        if kind:
            return f"{kind} address"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address `host` is written as, or None for a host name; ValueError for a host that
    looks like an address but is not one. IPv4 in every form the WHATWG URL standard reads
    (and `inet_aton` with it): 1 to 4 parts, each decimal, octal (`0177`) or hex (`0x7f`), the
    last filling the remaining bytes, so that `127.1` and `2130706433` are 127.0.0.1."""
    host = host.removeprefix("[").removesuffix("]")
    if ":" in host:
        return ipaddress.IPv6Address(host)
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts or not _NUMBER.match(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMBER.match(part) for part in parts):
        raise ValueError("not an IPv4 address")
    numbers = [_number(part) for part in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError("not an IPv4 address")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _host(parts: SplitResult) -> str:
    """The host of the URL as written (brackets dropped), lower case."""
    return (parts.hostname or "").lower()


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def _embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address, ...]:
    if not isinstance(address, ipaddress.IPv6Address):
        return ()
    embedded = [address.sixtofour]
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return tuple(a for a in embedded if a is not None)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _kind(address: IPAddress) -> str | None:
    """What makes an address not a public unicast one ("a private"...), or None."""
    checks = (("is_unspecified", "an unspecified"), ("is_link_local", "a link-local"),
              ("is_multicast", "a multicast"), ("is_reserved", "a reserved"), ("is_private", "a private"))
    for attribute, kind in checks:
        if getattr(address, attribute):
            return kind
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (carrier-grade NAT)"
    if not address.is_global:
        return "a non-public"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")
