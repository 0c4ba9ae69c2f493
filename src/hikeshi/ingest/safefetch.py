"""Fetching monitoring sources without letting a source reach internal systems (SSRF).

The host name is resolved ONCE, every resolved address is checked, and the connection is made to
the checked IP itself (the original name travels in the Host header and TLS SNI, so certificates are
still verified against it). Resolving again inside the HTTP library would open a DNS-rebinding
window: a hostile name could answer "public" to the check and "169.254.169.254" to the connect.
Every redirect hop goes through the same check.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from email.message import Message
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from hikeshi.ingest.addresses import parse_ip, refusal_reason
from hikeshi.ingest.errors import (
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    RefusedAddress,
    ResolutionError,
    TooLarge,
    TooManyRedirects,
)

Resolver = Callable[[str, int], Sequence[str]]
"""Maps (host name, port) to IP address strings. Injected so tests never touch real DNS."""

DEFAULT_USER_AGENT = "hikeshi-monitor/0.1 (+https://github.com/hikeshi; self-hosted firestorm monitoring)"
LOOPBACK_ENV_VAR = "HIKESHI_ALLOW_LOOPBACK_SOURCES"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system, keeping order and dropping duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionError(f"cannot resolve host {host!r}: {exc}", url=host) from exc
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits for one fetch. Timeouts in seconds, sizes in bytes (of the decoded body)."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_loopback: bool = False
    user_agent: str = DEFAULT_USER_AGENT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> FetchPolicy:
        """Policy with ``allow_loopback`` taken from ``HIKESHI_ALLOW_LOOPBACK_SOURCES=1``."""
        env = os.environ if environ is None else environ
        policy = cls(allow_loopback=env.get(LOOPBACK_ENV_VAR, "") == "1")
        return replace(policy, **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Validators:
    """What a source remembers between fetches for conditional requests (JSON-able via ``to_dict``)."""

    etag: str | None = None
    last_modified: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"etag": self.etag, "last_modified": self.last_modified}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Validators:
        etag, modified = data.get("etag"), data.get("last_modified")
        return cls(
            etag=etag if isinstance(etag, str) else None,
            last_modified=modified if isinstance(modified, str) else None,
        )


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    validators: Validators
    address: str
    elapsed: float
    redirects: tuple[str, ...] = ()
    not_modified: bool = False
    content_type: str | None = None
    charset: str | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    url: httpx.URL
    host: str
    port: int


def _parse_target(url: str | httpx.URL) -> _Target:
    text = str(url)
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidURL(f"not a valid URL: {text!r} ({exc})", url=text) from exc
    if parsed.scheme not in ("http", "https"):
        raise InvalidURL(f"only http and https sources are allowed, got scheme {parsed.scheme!r}", url=text)
    if not parsed.host:
        raise InvalidURL(f"URL has no host: {text!r}", url=text)
    if parsed.userinfo:
        raise InvalidURL("URLs with embedded credentials are not accepted as sources", url=text)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return _Target(url=parsed, host=parsed.host, port=port)


def _content_type(headers: httpx.Headers) -> tuple[str | None, str | None]:
    raw = headers.get("content-type")
    if not raw:
        return None, None
    message = Message()
    message["content-type"] = raw
    charset = message.get_param("charset")
    return message.get_content_type(), charset if isinstance(charset, str) else None


class SafeFetcher:
    """Fetches public http(s) URLs under a :class:`FetchPolicy`. Use as a context manager or call close()."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._resolver = resolver
        # No keep-alive: connections are keyed by IP, and a pooled TLS connection opened with one
        # host's SNI must never be reused for another host that shares the address.
        # No cookies and no environment proxies: a source must not carry state or be re-routed.
        self._client = httpx.Client(
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=0),
            follow_redirects=False,
            trust_env=False,
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def resolve_allowed(self, url: str) -> list[str]:
        """The validated addresses for ``url``'s host; raises RefusedAddress before any connection."""
        target = _parse_target(url)
        return self._validated_addresses(target)

    def _validated_addresses(self, target: _Target) -> list[str]:
        literal = parse_ip(target.host)
        if literal is not None:
            candidates: Sequence[str] = [str(literal)]
        else:
            try:
                candidates = self._resolver(target.host, target.port)
            except ResolutionError as exc:
                raise ResolutionError(str(exc), url=str(target.url)) from exc
            except OSError as exc:
                raise ResolutionError(
                    f"cannot resolve host {target.host!r}: {exc}", url=str(target.url)
                ) from exc
        if not candidates:
            raise ResolutionError(f"host {target.host!r} resolved to no address", url=str(target.url))
        addresses: list[str] = []
        for candidate in candidates:
            ip = parse_ip(candidate)
            if ip is None:
                raise ResolutionError(f"resolver returned a non-IP value {candidate!r}", url=str(target.url))
            reason = refusal_reason(ip, allow_loopback=self.policy.allow_loopback)
            # One bad address refuses the whole name: a name mixing public and internal answers is hostile.
            if reason is not None:
                raise RefusedAddress(
                    f"refused {target.host!r}: it resolves to {ip} ({reason}); sources may only reach public addresses",
                    url=str(target.url),
                    address=str(ip),
                    reason=reason,
                )
            addresses.append(str(ip))
        return addresses

    def fetch(
        self, url: str, *, validators: Validators | None = None, accept: str | None = None
    ) -> FetchResult:
        """GET ``url`` following validated redirects. Raises a :class:`FetchError` subclass on failure."""
        policy = self.policy
        started = time.monotonic()
        deadline = started + policy.total_timeout
        target = _parse_target(url)
        hops: list[str] = []
        while True:
            addresses = self._validated_addresses(target)
            response_meta = self._request(target, addresses, validators, accept, deadline)
            status, headers, body, address = response_meta
            if status in _REDIRECT_STATUSES:
                location = headers.get("location")
                if not location:
                    raise HTTPStatusError(
                        f"redirect {status} without a Location header", url=str(target.url), status=status
                    )
                if len(hops) >= policy.max_redirects:
                    raise TooManyRedirects(
                        f"more than {policy.max_redirects} redirects (last: {location!r})",
                        url=str(target.url),
                    )
                try:
                    next_url = target.url.join(location)
                except (httpx.InvalidURL, ValueError) as exc:
                    raise InvalidURL(
                        f"bad redirect Location {location!r}: {exc}", url=str(target.url)
                    ) from exc
                hops.append(str(next_url))
                target = _parse_target(next_url)
                continue
            return self._result(url, target, status, headers, body, address, validators, hops, started)

    def _result(
        self,
        url: str,
        target: _Target,
        status: int,
        headers: httpx.Headers,
        body: bytes,
        address: str,
        validators: Validators | None,
        hops: list[str],
        started: float,
    ) -> FetchResult:
        final = str(target.url)
        if status >= 400:
            raise HTTPStatusError(
                f"HTTP {status} from {final}",
                url=final,
                status=status,
                retry_after=headers.get("retry-after"),
            )
        previous = validators or Validators()
        new_validators = Validators(
            etag=headers.get("etag") or previous.etag,
            last_modified=headers.get("last-modified") or previous.last_modified,
        )
        content_type, charset = _content_type(headers)
        return FetchResult(
            url=url,
            final_url=final,
            status=status,
            body=body,
            headers={k.lower(): v for k, v in headers.items()},
            validators=new_validators,
            address=address,
            elapsed=time.monotonic() - started,
            redirects=tuple(hops),
            not_modified=status == 304,
            content_type=content_type,
            charset=charset,
        )

    def _request(
        self,
        target: _Target,
        addresses: list[str],
        validators: Validators | None,
        accept: str | None,
        deadline: float,
    ) -> tuple[int, httpx.Headers, bytes, str]:
        headers = {"Host": target.url.netloc.decode("ascii"), "User-Agent": self.policy.user_agent}
        if accept:
            headers["Accept"] = accept
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        last_error: Exception | None = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchTimeout(
                    f"total deadline of {self.policy.total_timeout}s passed", url=str(target.url)
                )
            pinned = target.url.copy_with(host=address)
            timeout = httpx.Timeout(
                connect=min(self.policy.connect_timeout, remaining),
                read=min(self.policy.read_timeout, remaining),
                write=min(self.policy.read_timeout, remaining),
                pool=min(self.policy.connect_timeout, remaining),
            )
            request = self._client.build_request(
                "GET", pinned, headers=headers, timeout=timeout, extensions=extensions
            )
            try:
                response = self._client.send(request, stream=True)
            except httpx.ConnectTimeout as exc:
                last_error = exc
                continue
            except httpx.ConnectError as exc:
                last_error = exc
                continue
            except httpx.TimeoutException as exc:
                raise FetchTimeout(
                    f"timed out waiting for {target.url}: {exc!r}", url=str(target.url)
                ) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"request to {target.url} failed: {exc!r}", url=str(target.url)) from exc
            try:
                if response.status_code in _REDIRECT_STATUSES or response.status_code >= 300:
                    # Redirect and error bodies are not needed; do not read them.
                    return response.status_code, response.headers, b"", address
                body = self._read_limited(response, target, deadline)
                return response.status_code, response.headers, body, address
            finally:
                response.close()
        kind = "timed out" if isinstance(last_error, httpx.ConnectTimeout) else "failed"
        message = f"connecting to {target.host} ({', '.join(addresses)}) {kind}: {last_error!r}"
        if isinstance(last_error, httpx.ConnectTimeout):
            raise FetchTimeout(message, url=str(target.url))
        raise ConnectFailed(message, url=str(target.url))

    def _read_limited(self, response: httpx.Response, target: _Target, deadline: float) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise TooLarge(
                f"{target.url} declares {int(declared)} bytes, over the limit of {limit}",
                url=str(target.url),
                limit=limit,
                partial=b"",
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _chunks(response):
                size += len(chunk)
                if size > limit:
                    chunks.append(chunk[: len(chunk) - (size - limit)])
                    raise TooLarge(
                        f"{target.url} sent more than {limit} bytes; the response was cut",
                        url=str(target.url),
                        limit=limit,
                        partial=b"".join(chunks),
                    )
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise FetchTimeout(
                        f"total deadline of {self.policy.total_timeout}s passed while reading {target.url}",
                        url=str(target.url),
                    )
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"read from {target.url} timed out: {exc!r}", url=str(target.url)) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"reading {target.url} failed: {exc!r}", url=str(target.url)) from exc
        return b"".join(chunks)


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    # iter_bytes yields decompressed data, so the limit also stops decompression bombs. No chunk_size:
    # buffering to a fixed size would hide a trickling server from the deadline check.
    yield from response.iter_bytes()
