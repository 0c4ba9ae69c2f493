"""POST to a channel's API without letting a channel reach internal systems.

The address checks are those of monitoring sources (hikeshi.ingest): the host is resolved once, every
address must be public (loopback only with HIKESHI_ALLOW_LOOPBACK_SOURCES=1, for tests and the local demo),
and the connection goes to the checked IP with the original name in Host/SNI, so DNS rebinding cannot
turn a webhook into a request to 169.254.169.254. Redirects are not followed: a webhook that redirects is
misconfigured, and following it would re-open the question of where the body goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from hikeshi.config import env_bool_safe
from hikeshi.ingest.errors import FetchError, InvalidURL, RefusedAddress
from hikeshi.ingest.safefetch import FetchPolicy, SafeFetcher

from .base import PermanentError, TransientError

USER_AGENT = "hikeshi-alerts/0.1"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0


def loopback_allowed() -> bool:
    return env_bool_safe("HIKESHI_ALLOW_LOOPBACK_SOURCES")


def check_url(url: str) -> None:
    """Raise PermanentError unless `url` is an http(s) URL whose host resolves to allowed addresses."""
    _addresses(url)


def _addresses(url: str) -> list[str]:
    policy = FetchPolicy(allow_loopback=loopback_allowed())
    with SafeFetcher(policy) as fetcher:
        try:
            return fetcher.resolve_allowed(url)
        except (InvalidURL, RefusedAddress) as exc:
            raise PermanentError(str(exc)) from exc
        except FetchError as exc:
            # A name that does not resolve now may resolve later (DNS hiccup); retry.
            raise TransientError(str(exc)) from exc


def post(
    url: str,
    *,
    json_body: Any = None,
    content: bytes | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST once; 2xx returns the response, 429/5xx/timeouts raise TransientError, other 4xx PermanentError."""
    addresses = _addresses(url)
    target = httpx.URL(url)
    all_headers = {"Host": target.netloc.decode("ascii"), "User-Agent": USER_AGENT, **(headers or {})}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(
        connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=CONNECT_TIMEOUT
    )
    last_error: Exception | None = None
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as client:
        for address in addresses:
            request = client.build_request(
                "POST",
                target.copy_with(host=address),
                json=json_body,
                content=content,
                data=data,
                headers=all_headers,
                extensions=extensions,
            )
            try:
                response = client.send(request)
            except httpx.ConnectError as exc:
                last_error = exc
                continue
            except httpx.TimeoutException as exc:
                raise TransientError(f"timed out posting to {target.host}: {exc!r}") from exc
            except httpx.HTTPError as exc:
                raise TransientError(f"posting to {target.host} failed: {exc!r}") from exc
            return _judge(response, target)
    raise TransientError(f"cannot connect to {target.host}: {last_error!r}")


def _judge(response: httpx.Response, target: httpx.URL) -> httpx.Response:
    status = response.status_code
    if 200 <= status < 300:
        return response
    snippet = response.text[:200].strip()
    message = f"HTTP {status} from {target.host}{target.path}" + (f": {snippet}" if snippet else "")
    if status == 429 or status >= 500 or status == 408:
        raise TransientError(message)
    # 3xx (not followed) and 4xx: the configuration is wrong; the same request will fail again.
    raise PermanentError(message)
