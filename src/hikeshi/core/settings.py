"""Django settings, built only from HIKESHI_* variables (see hikeshi.config)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from hikeshi.config import data_dir, env_bool, env_int, env_list, env_str, env_url

DATA_DIR: Path = data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)
BASE_DIR = Path(__file__).resolve().parent.parent


def _secret_key() -> str:
    configured = env_str("HIKESHI_SECRET_KEY")
    if configured:
        return configured
    # A per-installation key kept beside the data it protects; never committed, never shared.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("HIKESHI_DEBUG")
HTTPS = env_bool("HIKESHI_HTTPS")
HOST = env_str("HIKESHI_HOST")
PORT = env_int("HIKESHI_PORT", minimum=1, maximum=65535)
ALLOWED_HOSTS = [*env_list("HIKESHI_ALLOWED_HOSTS"), "testserver"]
BASE_URL = (env_url("HIKESHI_BASE_URL", schemes=("http", "https")) or f"http://{HOST}:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",
    "hikeshi.core",
    "hikeshi.accounts",
    "hikeshi.tenancy",
    "hikeshi.audit",
    "hikeshi.api",
    "hikeshi.prevention",
    "hikeshi.monitoring",
    "hikeshi.response",
    "hikeshi.alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hikeshi.accounts.middleware.TwoFactorEnforcementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "hikeshi.audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "hikeshi.core.urls"
WSGI_APPLICATION = "hikeshi.core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hikeshi.tenancy.context.current_organization",
            ],
        },
    },
]

_database_url = env_url("HIKESHI_DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "hikeshi.sqlite3"),
            # WAL and a busy timeout let web, worker and scheduler share one SQLite file. The WAL is
            # copied back every 16,000 pages (64 MB) instead of 1,000: pipeline batches rewrite the
            # same index pages, which a checkpoint then copies once (docs/monitoring-throughput.md).
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=16000;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_cache_url = env_url("HIKESHI_CACHE_URL", schemes=("redis", "rediss"))
if _cache_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
LOGIN_MAX_FAILURES = env_int("HIKESHI_LOGIN_MAX_FAILURES", minimum=1, maximum=1000)
LOGIN_LOCK_SECONDS = env_int("HIKESHI_LOGIN_LOCK_SECONDS", minimum=1, maximum=86400 * 7)
REQUIRE_2FA_STAFF = env_bool("HIKESHI_REQUIRE_2FA_STAFF")
OTP_TOTP_ISSUER = "hikeshi"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served by WhiteNoise straight from the installed packages: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The pre-post check's photo limit; its API route alone reads a larger JSON body (base64) than the above.
PHOTO_MAX_BYTES = env_int("HIKESHI_PHOTO_MAX_MB", minimum=1, maximum=25) * 1024 * 1024

# --- security headers -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: only for QR codes we render ourselves; never remote images from posts.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- e-mail ---------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("HIKESHI_EMAIL_FROM")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env_str("HIKESHI_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("HIKESHI_SMTP_HOST")
    EMAIL_PORT = env_int("HIKESHI_SMTP_PORT", minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("HIKESHI_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_str("HIKESHI_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("HIKESHI_SMTP_TLS")
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

# --- background work --------------------------------------------------------------------------------
_broker_url = env_url(
    "HIKESHI_BROKER_URL", schemes=("redis", "rediss", "amqp", "amqps", "sqla+sqlite", "sqla+postgresql")
)
CELERY_BROKER_URL = _broker_url or f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}"
CELERY_EMBEDDED_BROKER = not _broker_url
WORKER_CONCURRENCY = env_int("HIKESHI_WORKER_CONCURRENCY", minimum=1, maximum=64)
WEB_WORKERS = env_int("HIKESHI_WEB_WORKERS", minimum=1, maximum=64)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HIKESHI_LOG_LEVEL").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
