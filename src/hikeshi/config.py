"""Configuration from ``HIKESHI_*`` environment variables.

Every variable hikeshi reads is declared once in :data:`SETTINGS`; the README's
configuration table is checked against it by a test, so a setting cannot exist
without documentation. Reading goes through the small typed helpers below so
that a bad value fails with a message naming the variable, never deep inside
Django.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    """A HIKESHI_* variable has a value hikeshi cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help_en: str
    help_ja: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("HIKESHI_PORT", "8000", "Port of the web server.", "Web サーバーのポート番号。"),
    Setting(
        "HIKESHI_HOST", "127.0.0.1", "Address the web server binds to.", "Web サーバーが待ち受けるアドレス。"
    ),
    Setting(
        "HIKESHI_DATA_DIR",
        "./var",
        "Directory for the SQLite database, the embedded broker, uploads, mail and the generated secret key.",
        "SQLite データベース、組み込みブローカー、アップロード、メール、生成した秘密鍵を置くディレクトリ。",
    ),
    Setting(
        "HIKESHI_SECRET_KEY",
        "",
        "Django secret key. Unset: generated once and kept in DATA_DIR/secret_key (mode 0600).",
        "Django の秘密鍵。未設定なら初回に生成し DATA_DIR/secret_key (権限 0600) に保存。",
        secret=True,
    ),
    Setting(
        "HIKESHI_DEBUG", "0", "Django debug mode (never in production).", "デバッグモード (本番では無効に)。"
    ),
    Setting(
        "HIKESHI_ALLOWED_HOSTS",
        "127.0.0.1,localhost",
        "Comma-separated host names the site answers to.",
        "応答するホスト名 (カンマ区切り)。",
    ),
    Setting(
        "HIKESHI_BASE_URL",
        "",
        "Public URL used in e-mails and signed links. Unset: http://HOST:PORT.",
        "メールや署名付きリンクに使う公開 URL。未設定なら http://HOST:PORT。",
    ),
    Setting(
        "HIKESHI_HTTPS",
        "0",
        "1 when served over HTTPS behind a proxy: secure cookies, HSTS, proxy SSL header.",
        "HTTPS で公開するとき 1: Secure クッキー、HSTS、プロキシの SSL ヘッダー。",
    ),
    Setting(
        "HIKESHI_DATABASE_URL",
        "",
        "postgres://user:pass@host:5432/db for scale-out. Unset: SQLite in DATA_DIR.",
        "スケールアウト時の postgres://… 。未設定なら DATA_DIR の SQLite。",
        secret=True,
    ),
    Setting(
        "HIKESHI_BROKER_URL",
        "",
        "Celery broker: redis://… or amqp://… . Unset: embedded SQLite broker in DATA_DIR.",
        "Celery ブローカー redis://… または amqp://… 。未設定なら DATA_DIR の組み込みブローカー。",
        secret=True,
    ),
    Setting(
        "HIKESHI_CACHE_URL",
        "",
        "redis://… for a shared cache (login throttling, rate limits) across machines. Unset: files in DATA_DIR.",
        "複数台で共有するキャッシュ redis://… 。未設定なら DATA_DIR のファイル。",
        secret=True,
    ),
    Setting(
        "HIKESHI_WEB_WORKERS",
        "2",
        "Number of web server worker processes.",
        "Web サーバーのワーカープロセス数。",
    ),
    Setting(
        "HIKESHI_WORKER_CONCURRENCY",
        "2",
        "Number of Celery worker processes per `hikeshi worker`.",
        "`hikeshi worker` 1 つあたりの Celery ワーカープロセス数。",
    ),
    Setting(
        "HIKESHI_EMAIL_FROM",
        "hikeshi@localhost",
        "Sender address of e-mails.",
        "送信メールの差出人アドレス。",
    ),
    Setting(
        "HIKESHI_SMTP_HOST",
        "",
        "SMTP server. Unset: e-mails are written as files to DATA_DIR/mail.",
        "SMTP サーバー。未設定ならメールは DATA_DIR/mail にファイルとして保存。",
    ),
    Setting("HIKESHI_SMTP_PORT", "587", "SMTP port.", "SMTP ポート。"),
    Setting("HIKESHI_SMTP_USER", "", "SMTP user name.", "SMTP ユーザー名。"),
    Setting("HIKESHI_SMTP_PASSWORD", "", "SMTP password.", "SMTP パスワード。", secret=True),
    Setting(
        "HIKESHI_SMTP_TLS", "1", "1 to use STARTTLS with the SMTP server.", "SMTP で STARTTLS を使うとき 1。"
    ),
    Setting(
        "HIKESHI_REQUIRE_2FA_STAFF",
        "0",
        "1 makes TOTP two-factor authentication compulsory for all operator staff.",
        "1 にすると運営スタッフ全員に二要素認証 (TOTP) を必須化。",
    ),
    Setting(
        "HIKESHI_LOGIN_MAX_FAILURES",
        "5",
        "Failed logins per account and address before the login is locked for a while.",
        "ログインを一時ロックするまでの失敗回数 (アカウント・アドレスごと)。",
    ),
    Setting(
        "HIKESHI_LOGIN_LOCK_SECONDS",
        "900",
        "How long a throttled login stays locked.",
        "ロックの継続秒数。",
    ),
    Setting(
        "HIKESHI_DEMO_PASSWORD",
        "",
        "Password of the demo operator account. Unset: a random one is generated and printed.",
        "デモ用運営アカウントのパスワード。未設定なら生成して表示。",
        secret=True,
    ),
    Setting(
        "HIKESHI_SHARED_DATA_DIR",
        "../shared/data",
        "Public datasets used by `make train` and `hikeshi eval` (relative to the repository).",
        "`make train` と `hikeshi eval` が使う公開データセットの場所。",
    ),
    Setting(
        "HIKESHI_ALLOW_LOOPBACK_SOURCES",
        "0",
        "1 lets monitoring sources fetch from 127.0.0.1 (tests and the local demo only).",
        "1 にすると監視ソースが 127.0.0.1 から取得可能 (テストとデモ専用)。",
    ),
    Setting(
        "HIKESHI_PHOTO_MAX_MB",
        "10",
        "Largest photo (MB) the pre-post check accepts, on the page and through the API (base64 adds a third).",
        "投稿前チェックで受け付ける写真の最大サイズ (MB)。画面と API の両方に適用 (API の Base64 は約 4/3 倍)。",
    ),
    Setting(
        "HIKESHI_LOG_LEVEL",
        "INFO",
        "Log level: DEBUG, INFO, WARNING, ERROR.",
        "ログレベル。",
    ),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, env: Mapping[str, str] | None) -> str:
    if name not in SETTINGS_BY_NAME:
        # A typo here would silently read nothing; make it loud at development time.
        raise KeyError(f"{name} is not declared in hikeshi.config.SETTINGS")
    source = os.environ if env is None else env
    value = source.get(name)
    if value is None:
        return SETTINGS_BY_NAME[name].default
    return value.strip()


def env_str(name: str, env: Mapping[str, str] | None = None) -> str:
    return _raw(name, env)


def env_bool(name: str, env: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, env).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r}: expected 1 or 0 (true/false, yes/no, on/off)")


def env_int(
    name: str, env: Mapping[str, str] | None = None, *, minimum: int = 0, maximum: int = 2**31
) -> int:
    value = _raw(name, env)
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from None
    if not minimum <= number <= maximum:
        raise ConfigError(f"{name}={number}: expected a number from {minimum} to {maximum}")
    return number


def env_list(name: str, env: Mapping[str, str] | None = None) -> list[str]:
    return [item.strip() for item in _raw(name, env).split(",") if item.strip()]


def env_url(name: str, env: Mapping[str, str] | None = None, *, schemes: tuple[str, ...]) -> str:
    value = _raw(name, env)
    if not value:
        return ""
    scheme = value.split(":", 1)[0].lower()
    if "://" not in value or scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name}: expected a URL starting with {allowed}")
    return value


def repository_root() -> Path:
    """The checkout this package runs from (the directory holding pyproject.toml), or the cwd."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    path = Path(_raw("HIKESHI_DATA_DIR", env)).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    return path.resolve()


DATABASE_SCHEMES = ("postgres", "postgresql", "sqlite")
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "sqla+sqlite", "sqla+postgresql")
CACHE_SCHEMES = ("redis", "rediss")


def check_all(env: Mapping[str, str] | None = None) -> list[str]:
    """Return one line per problem in the configuration; empty when all is well."""
    problems: list[str] = []
    source = os.environ if env is None else env
    for name in sorted(k for k in source if k.startswith("HIKESHI_") and k not in SETTINGS_BY_NAME):
        problems.append(f"{name}: unknown setting (see the configuration table in README.md)")
    checks: list[Callable[[], object]] = [
        lambda: env_int("HIKESHI_PORT", env, minimum=1, maximum=65535),
        lambda: env_int("HIKESHI_WEB_WORKERS", env, minimum=1, maximum=64),
        lambda: env_int("HIKESHI_WORKER_CONCURRENCY", env, minimum=1, maximum=64),
        lambda: env_int("HIKESHI_SMTP_PORT", env, minimum=1, maximum=65535),
        lambda: env_int("HIKESHI_LOGIN_MAX_FAILURES", env, minimum=1, maximum=1000),
        lambda: env_int("HIKESHI_LOGIN_LOCK_SECONDS", env, minimum=1, maximum=86400 * 7),
        lambda: env_int("HIKESHI_PHOTO_MAX_MB", env, minimum=1, maximum=25),
        lambda: env_bool("HIKESHI_DEBUG", env),
        lambda: env_bool("HIKESHI_HTTPS", env),
        lambda: env_bool("HIKESHI_SMTP_TLS", env),
        lambda: env_bool("HIKESHI_REQUIRE_2FA_STAFF", env),
        lambda: env_bool("HIKESHI_ALLOW_LOOPBACK_SOURCES", env),
        lambda: env_url("HIKESHI_DATABASE_URL", env, schemes=DATABASE_SCHEMES),
        lambda: env_url("HIKESHI_BROKER_URL", env, schemes=BROKER_SCHEMES),
        lambda: env_url("HIKESHI_CACHE_URL", env, schemes=CACHE_SCHEMES),
        lambda: env_url("HIKESHI_BASE_URL", env, schemes=("http", "https")),
    ]
    for check in checks:
        try:
            check()
        except ConfigError as exc:
            problems.append(str(exc))
    level = _raw("HIKESHI_LOG_LEVEL", env).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"HIKESHI_LOG_LEVEL={level!r}: expected DEBUG, INFO, WARNING or ERROR")
    secret = _raw("HIKESHI_SECRET_KEY", env)
    if secret and len(secret) < 32:
        problems.append("HIKESHI_SECRET_KEY: too short, use at least 32 random characters")
    if env_bool_safe("HIKESHI_DEBUG", env) and env_bool_safe("HIKESHI_HTTPS", env):
        problems.append("HIKESHI_DEBUG=1 with HIKESHI_HTTPS=1: debug mode must not be used on a public site")
    return problems


def env_bool_safe(name: str, env: Mapping[str, str] | None = None) -> bool:
    try:
        return env_bool(name, env)
    except ConfigError:
        return False
