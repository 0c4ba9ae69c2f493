from __future__ import annotations

import ipaddress

import pytest

from hikeshi.ingest.addresses import parse_ip, refusal_reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "cloud-metadata"),
        ("169.254.10.10", "link-local"),
        ("100.64.1.1", "cgnat"),
        ("100.100.100.200", "cloud-metadata"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "cloud-metadata"),
        ("fd12:3456::1", "unique-local"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private (embedded in IPv6)"),
        ("::ffff:169.254.169.254", "cloud-metadata (embedded in IPv6)"),
        ("64:ff9b::a00:1", "private (embedded in IPv6)"),
        ("2002:a9fe:a9fe::1", "cloud-metadata (embedded in IPv6)"),
        ("192.0.2.1", "private"),
    ],
)
def test_non_public_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2001:4860:4860::8888", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_allow_loopback_opens_only_loopback() -> None:
    for allowed in ("127.0.0.1", "127.3.4.5", "::1"):
        assert refusal_reason(ipaddress.ip_address(allowed), allow_loopback=True) is None
    for still_refused in ("10.0.0.1", "169.254.169.254", "192.168.0.1", "::ffff:127.0.0.1", "0.0.0.0"):  # noqa: S104
        assert refusal_reason(ipaddress.ip_address(still_refused), allow_loopback=True) is not None


def test_parse_ip_accepts_brackets_and_zones_and_rejects_names() -> None:
    assert parse_ip("[::1]") == ipaddress.ip_address("::1")
    assert parse_ip("fe80::1%eth0") == ipaddress.ip_address("fe80::1")
    assert parse_ip("feeds.test") is None
