"""Where the mock may push: the callback URL policy, checked at registration and at each send.

:class:`CallbackPolicy` refuses what is not ``http``/``https``, link-local and cloud metadata
addresses always (named directly or reached through DNS at send time), and, with an allow-list
(``CALLBACK_ALLOW``), every host not on it. No Flask: :mod:`.callbacks` turns a refusal into a 400
and guards the sender. See ``docs/security.md``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

from attrs import frozen

__all__ = [
    "ALWAYS_REFUSED_HOSTS",
    "ALWAYS_REFUSED_NETWORKS",
    "CallbackPolicy",
    "CallbackRefused",
    "Resolver",
    "is_loopback_host",
]

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

#: ``resolve(host, port) -> addresses`` as text; raises ``OSError`` when the name does not resolve.
Resolver = Callable[[str, int], "list[str]"]


#: Networks no push is ever sent to, whatever the allow-list says: link-local addresses (which
#: include the cloud metadata address 169.254.169.254) and the cloud metadata services.
ALWAYS_REFUSED_NETWORKS: tuple[tuple[str, Network], ...] = (
    ("cloud_metadata", ipaddress.ip_network("169.254.169.254/32")),  # AWS, GCP, Azure, ...
    ("link_local", ipaddress.ip_network("169.254.0.0/16")),
    ("link_local", ipaddress.ip_network("fe80::/10")),
    ("cloud_metadata", ipaddress.ip_network("fd00:ec2::254/128")),  # AWS over IPv6
    ("cloud_metadata", ipaddress.ip_network("100.100.100.200/32")),  # Alibaba Cloud
    ("cloud_metadata", ipaddress.ip_network("168.63.129.16/32")),  # Azure wire server
)

#: Host names of cloud metadata services, refused always.
ALWAYS_REFUSED_HOSTS: frozenset[str] = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
)


class CallbackRefused(ValueError):
    """A callback URL the policy refuses; ``rule`` names the rule, the message says why."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} (rule: {rule})")
        self.rule = rule
        self.message = message


#: What the C library also reads as an IPv4 address: ``2852039166``, ``0251.0376.0251.0376``, ``0xa9fea9fe``.
_LEGACY_IPV4 = frozenset("0123456789abcdefx.")


def _address(text: str) -> Optional[Address]:
    try:
        found = ipaddress.ip_address(text.split("%", 1)[0])  # fe80::1%eth0: the zone does not matter
    except ValueError:
        if not text or not set(text.lower()) <= _LEGACY_IPV4 or not text[0].isdigit():
            return None
        try:  # the forms a connect() would reach, though ipaddress does not read them
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped  # ::ffff:169.254.169.254 is 169.254.169.254
    return found


def _system_resolver(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


def _parse_allow(text: str) -> tuple[frozenset[str], tuple[str, ...], tuple[Network, ...]]:
    names: set[str] = set()
    suffixes: list[str] = []
    networks: list[Network] = []
    for raw in text.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
            continue
        except ValueError:
            pass
        if item.startswith("*."):
            suffixes.append(item[1:])
        elif "/" in item or "*" in item or " " in item:
            raise ValueError(f"{raw.strip()!r} is neither a host, a *.suffix nor a network")
        else:
            names.add(item.rstrip("."))
    return frozenset(names), tuple(suffixes), tuple(networks)


@frozen
class CallbackPolicy:
    """Where callback URLs may point.

    Always: ``http`` or ``https`` only; never a link-local or cloud metadata address
    (:data:`ALWAYS_REFUSED_NETWORKS`, :data:`ALWAYS_REFUSED_HOSTS`), named directly or reached
    through DNS. With an allow-list, only the hosts and networks on it.

    Args:
        names: allowed host names (exact, lower case).
        suffixes: allowed host name suffixes (``.ci.example`` from ``*.ci.example``).
        networks: allowed networks (an address is a ``/32`` or ``/128``).
        resolver: how a host name is resolved at send time (injectable for tests).
    """

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    resolver: Resolver = _system_resolver

    @classmethod
    def from_config(
        cls, settings: Mapping[str, Any], *, resolver: Optional[Resolver] = None
    ) -> CallbackPolicy:
        """The policy of ``CALLBACK_ALLOW`` (and ``CALLBACK_RESOLVER``, a test hook).

        Raises:
            ValueError: naming the allow-list entry that is not a host or network.
        """
        names, suffixes, networks = _parse_allow(str(settings.get("CALLBACK_ALLOW") or ""))
        chosen = resolver or settings.get("CALLBACK_RESOLVER") or _system_resolver
        return cls(names=names, suffixes=suffixes, networks=networks, resolver=chosen)

    @property
    def has_allow_list(self) -> bool:
        return bool(self.names or self.suffixes or self.networks)

    def _name_allowed(self, host: str) -> bool:
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def _check_address(self, address: Address, shown: str, *, via: str = "") -> None:
        for rule, network in ALWAYS_REFUSED_NETWORKS:
            if address.version == network.version and address in network:
                what = "a cloud metadata address" if rule == "cloud_metadata" else f"link-local ({network})"
                raise CallbackRefused(rule, f"{shown}{via} is {what}: pushes never go there")

    def _allowed_address(self, address: Address) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)

    def check(self, url: str, *, resolve: bool = False) -> str:
        """``url`` (stripped) if pushes may go there.

        Args:
            url: the callback URL.
            resolve: also resolve a host name and check every address it gives (at send time).
                A name that does not resolve passes here (the send then fails on its own),
                unless only allow-listed networks would let it through.

        Raises:
            CallbackRefused: naming the rule: ``scheme``, ``link_local``, ``cloud_metadata`` or
                ``allow_list``.
        """
        text = url.strip()
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").lower().rstrip(".")
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise CallbackRefused("scheme", f"{url!r} is not an absolute http(s) URL") from None
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise CallbackRefused(
                "scheme", f"{url!r} is not an absolute http(s) URL: pushes go over http or https only"
            )
        if host in ALWAYS_REFUSED_HOSTS:
            raise CallbackRefused(
                "cloud_metadata", f"{host} is a cloud metadata service: pushes never go there"
            )
        literal = _address(host)
        if literal is not None:
            self._check_address(literal, host)
            if self.has_allow_list and not self._allowed_address(literal):
                raise CallbackRefused(
                    "allow_list", f"{host} is not on the callback allow-list (CALLBACK_ALLOW)"
                )
            return text
        named = self._name_allowed(host)
        if self.has_allow_list and not named and not self.networks:
            raise CallbackRefused("allow_list", f"{host} is not on the callback allow-list (CALLBACK_ALLOW)")
        if not resolve and (named or not self.has_allow_list):
            return text
        try:
            addresses = [
                found for found in (_address(a) for a in self.resolver(host, port)) if found is not None
            ]
        except OSError:
            addresses = []
        for address in addresses:
            self._check_address(address, host, via=f" resolves to {address}, which")
        if self.has_allow_list and not named:
            if not addresses or not all(self._allowed_address(a) for a in addresses):
                raise CallbackRefused(
                    "allow_list",
                    f"{host} is not on the callback allow-list (CALLBACK_ALLOW), nor does it resolve "
                    "only to allowed networks",
                )
        return text


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` only listens on this machine (``127.0.0.1``, ``::1``, ``localhost``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    found = _address(name)
    return found is not None and found.is_loopback
