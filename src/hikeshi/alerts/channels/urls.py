"""Config validation shared by the kinds that post to a URL."""

from __future__ import annotations

import httpx

from .base import ConfigError


def clean_url(kind: str, key: str, value: object) -> str:
    text = str(value).strip()
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigError(f"{kind}: {key} is not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"{kind}: {key} must be an http(s) URL with a host, got {text!r}")
    if url.userinfo:
        raise ConfigError(f"{kind}: {key} must not contain a user name or password")
    return text.rstrip("/") if key.endswith("api_base") else text
