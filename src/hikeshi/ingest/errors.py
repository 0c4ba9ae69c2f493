"""Typed errors raised by ingestion. Every message says what went wrong and where."""

from __future__ import annotations


class IngestError(Exception):
    """Base class for every error raised by :mod:`hikeshi.ingest`."""


class FetchError(IngestError):
    """A source could not be fetched. ``url`` is the address that failed (after redirects so far)."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class InvalidURL(FetchError):
    """The address is not an absolute http(s) URL with a host."""


class RefusedAddress(FetchError):
    """The host resolves to an address sources may not reach (private, loopback, metadata …)."""

    def __init__(self, message: str, *, url: str, address: str, reason: str) -> None:
        super().__init__(message, url=url)
        self.address = address
        self.reason = reason


class ResolutionError(FetchError):
    """The host name did not resolve."""


class FetchTimeout(FetchError):
    """Connecting, reading or the whole fetch took longer than allowed."""


class TooLarge(FetchError):
    """The response body passed the size limit. ``partial`` holds the first ``limit`` bytes received."""

    def __init__(self, message: str, *, url: str, limit: int, partial: bytes) -> None:
        super().__init__(message, url=url)
        self.limit = limit
        self.partial = partial


class TooManyRedirects(FetchError):
    """More redirect hops than allowed."""


class HTTPStatusError(FetchError):
    """The server answered with a 4xx/5xx status (or a redirect without a usable Location)."""

    def __init__(self, message: str, *, url: str, status: int, retry_after: str | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class ConnectFailed(FetchError):
    """No TCP/TLS connection could be made to any validated address."""


class QuerySyntaxError(IngestError):
    """A boolean watch query could not be parsed. ``position`` is the 0-based character offset."""

    def __init__(self, message: str, *, query: str, position: int) -> None:
        pointer = " " * position + "^"
        super().__init__(f"{message} at position {position}\n  {query}\n  {pointer}")
        self.query = query
        self.position = position
        self.reason = message


class RuleError(IngestError):
    """A watch rule is unusable (no terms, a term that normalises to nothing …)."""
