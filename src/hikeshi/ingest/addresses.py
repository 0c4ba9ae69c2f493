"""Which IP addresses a monitoring source may connect to.

Only globally routable unicast addresses are allowed. IPv6 forms that embed an IPv4 address
(IPv4-mapped, NAT64, 6to4, Teredo) are judged by the embedded address too, so ``::ffff:10.0.0.1``
cannot smuggle a private target past the check.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services: named explicitly so the refusal reason is precise.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack …
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_LOOPBACK_ALLOWED_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_ALLOWED_V6 = ipaddress.ip_address("::1")


def parse_ip(text: str) -> IPAddress | None:
    """The address in ``text`` (brackets and an IPv6 zone allowed), or None if it is not an IP literal."""
    candidate = text.strip("[]")
    candidate = candidate.split("%", 1)[0]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:
        # Deprecated IPv4-compatible form ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``ip`` may not be fetched from, or None if it is a public unicast address.

    ``allow_loopback`` permits 127.0.0.0/8 and ::1 only (for the platform's own tests and demo).
    """
    if allow_loopback and (
        (isinstance(ip, ipaddress.IPv4Address) and ip in _LOOPBACK_ALLOWED_V4) or ip == _LOOPBACK_ALLOWED_V6
    ):
        return None
    if ip in _METADATA:
        return "cloud-metadata"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = refusal_reason(embedded, allow_loopback=False)
            if inner is not None:
                return f"{inner} (embedded in IPv6)"
            # A translation/mapping prefix around a public IPv4 address reaches that address.
            return None
        if ip in _UNIQUE_LOCAL:
            return "unique-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "cgnat"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not-globally-routable"
    return None
