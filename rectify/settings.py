"""Rectify settings: one file, driven by environment variables.

Defaults are safe for `make run` (SQLite, DEBUG off). Set DATABASE_URL for PostgreSQL,
RECTIFY_HTTPS=1 behind a TLS proxy (secure cookies, HSTS: what `check --deploy` wants).
"""

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RECTIFY_VAR_DIR", BASE_DIR / "var"))
# What the server writes (the database and its WAL, uploads, code sheets, backups, caches) is readable by
# its own account only: another local user must not copy anonymous input (docs/anonymity.md).
os.umask(0o077)
VAR_DIR.mkdir(parents=True, exist_ok=True)
try:
    VAR_DIR.chmod(0o700)
except OSError:  # a folder owned by someone else (a shared mount): its owner sets its mode
    pass


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def _secret_key() -> str:
    """Generated once per installation and kept in var/ (outside git)."""
    if key := os.environ.get("RECTIFY_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# pytest sets PYTEST_VERSION before anything is imported: tests get immediate tasks, plain static
# files (no collectstatic needed).
TESTING = "PYTEST_VERSION" in os.environ
if TESTING:
    os.environ.setdefault("RECTIFY_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    os.environ.setdefault("RECTIFY_PLAIN_STATIC", "1")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.environ.setdefault("RECTIFY_MEDIA_ROOT", str(VAR_DIR / "test-media"))

SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "storages",
    # domain apps, in import order (each may import only those above it)
    "core",
    "jobs",
    "orgs",
    "audit",
    "notifications",
    "campaigns",
    "problems",
    "accountability",
    "reports",
    "meetings",
    "evaluations",
    "paperballots",
    "rectification",
    "disclosure",
    "servicerating",
    "analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.DefaultChineseLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionTimeoutMiddleware",
    "core.middleware.LoginRequiredByDefaultMiddleware",
    "core.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rectify.urls"
WSGI_APPLICATION = "rectify.wsgi.application"
AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "rectify.views.csrf_failure"  # the site's own Chinese 403, not Django's English page
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rectify" / "templates"],  # the site shell: home, errors, log-in pages
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rectify.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite (WAL, immediate transactions so concurrent writers queue instead of failing)
_sqlite_path = os.environ.get("RECTIFY_SQLITE_PATH", str(VAR_DIR / "db.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and os.environ.get("RECTIFY_PG_JIT", "0") != "1":
        # PostgreSQL compiles a query to machine code once its estimated cost passes jit_above_cost: a list
        # page's query over a city's 300,000 measures costs more than that, and compiling took 200 ms of a
        # 370 ms query here, for an execution of 30 ms. Short queries are what this site runs; RECTIFY_PG_JIT=1
        # gives the server's own setting back.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _sqlite_path,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": os.environ.get("RECTIFY_SQLITE_TEST_NAME") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["core.hashers.FastTestArgon2PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Log-in throttling (core/auth.py): exponential delays per account, per account and address, and per
# address (password spraying), never a lock; counts of failed checks per window, in the shared cache.
LOGIN_THROTTLE_ENABLED = env_bool("RECTIFY_LOGIN_THROTTLE", True)
LOGIN_THROTTLE_WINDOW = int(os.environ.get("RECTIFY_LOGIN_THROTTLE_WINDOW", str(60 * 60)))
LOGIN_FREE_PER_ACCOUNT_ADDRESS = int(os.environ.get("RECTIFY_LOGIN_FREE_PER_ACCOUNT_ADDRESS", "5"))
LOGIN_FREE_PER_ACCOUNT = int(os.environ.get("RECTIFY_LOGIN_FREE_PER_ACCOUNT", "20"))
LOGIN_FREE_PER_ADDRESS = int(os.environ.get("RECTIFY_LOGIN_FREE_PER_ADDRESS", "20"))

# The client's address behind our own proxies (core.ratelimit.client_ip), for every limit: either the
# number of proxies in front of the app (each appends to X-Forwarded-For) or their addresses/networks.
# Neither set: REMOTE_ADDR, and X-Forwarded-For (written by anyone) is ignored.
# Ballot codes (evaluations/public_views.py): checks of codes that do not exist, per address and site-wide,
# per window. Codes are 79-bit random secrets, so the limits are generous; over them the code form asks a
# human check instead of refusing, so a valid code from a voting hall's shared address always gets in.
BALLOT_CODE_WINDOW = int(os.environ.get("RECTIFY_BALLOT_CODE_WINDOW", str(15 * 60)))
BALLOT_CODE_FAILS_PER_ADDRESS = int(os.environ.get("RECTIFY_BALLOT_CODE_FAILS_PER_ADDRESS", "60"))
BALLOT_CODE_FAILS_GLOBAL = int(os.environ.get("RECTIFY_BALLOT_CODE_FAILS_GLOBAL", "600"))

RECTIFY_PROXY_COUNT = int(os.environ.get("RECTIFY_PROXY_COUNT", "0"))
RECTIFY_TRUSTED_PROXIES = [a for a in os.environ.get("RECTIFY_TRUSTED_PROXIES", "").split(",") if a.strip()]

# Sessions: 30 minutes idle (core.middleware.SessionTimeoutMiddleware), 12 hours in all
SESSION_IDLE_SECONDS = 30 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
# The last-request time is written to the session at most this often (not on every page: a write each).
SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security headers
HTTPS = env_bool("RECTIFY_HTTPS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS

# Content-Security-Policy: scripts only from our own static files (no inline script)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# i18n: Chinese first, English complete beside it
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "rectify_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "rectify" / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Uploaded and generated files (evidence, reports, minutes, ledgers) go through Django's default storage:
# a folder that every app server and worker mounts (RECTIFY_MEDIA_ROOT, a shared volume on several
# machines), or an S3-compatible bucket when RECTIFY_S3_BUCKET is set (django-storages). They are never
# served directly: views check access and send them as downloads (MEDIA_URL points nowhere).
MEDIA_ROOT = Path(os.environ.get("RECTIFY_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
if os.environ.get("RECTIFY_S3_BUCKET"):
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["RECTIFY_S3_BUCKET"],
            "endpoint_url": os.environ.get("RECTIFY_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("RECTIFY_S3_REGION") or None,
            "access_key": os.environ.get("RECTIFY_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("RECTIFY_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("RECTIFY_S3_PREFIX", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not env_bool("RECTIFY_PLAIN_STATIC")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Background work: django-tasks with the database backend. `bin/serve` runs `manage.py worker` (db_worker
# with a heartbeat, leases and retries, see jobs/) and `manage.py scheduler`; any number of each may run
# against one PostgreSQL database (tasks are claimed with SELECT … FOR UPDATE SKIP LOCKED, periodic jobs
# with one row per period).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("RECTIFY_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A worker renews its lease on its running task with a heartbeat every JOBS_HEARTBEAT_SECONDS; a task whose
# worker has not been heard of for JOBS_LEASE_SECONDS is taken back and retried (JOBS_MAX_ATTEMPTS in all,
# JOBS_RETRY_BACKOFF_SECONDS doubling each time), as is a task that hit "database is locked".
JOBS_HEARTBEAT_SECONDS = int(os.environ.get("JOBS_HEARTBEAT_SECONDS", "10"))
JOBS_LEASE_SECONDS = int(os.environ.get("JOBS_LEASE_SECONDS", "60"))
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "5"))
JOBS_RETRY_BACKOFF_SECONDS = float(os.environ.get("JOBS_RETRY_BACKOFF_SECONDS", "5"))

# Mail: written to var/mail by default (no mail server in a demo); SMTP via env.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rectify@localhost")

# Rate limits, throttles and the human-check state live in the cache, so it must be shared by every
# process that answers requests: with REDIS_URL (several app servers) Django's Redis backend, whose
# add/incr are single Redis commands, so counts stay exact under bursts across servers; otherwise a file
# cache in var/ shared by the gunicorn workers of one machine (tests use local memory).
# The counters (core.ratelimit, core.formtoken) have their own alias, "limits", that never drops a live
# entry (core/cache.py): Django's file and memory caches cull live entries at MAX_ENTRIES, which would
# reset a counter in the middle of its window. On Redis the server must not evict keys either
# (maxmemory-policy noeviction; docs/deploy.md).
REDIS_URL = os.environ.get("REDIS_URL", "")
_cache_dir = os.environ.get("RECTIFY_CACHE_DIR", "" if TESTING else str(VAR_DIR / "cache"))
_cache_prefix = os.environ.get("RECTIFY_CACHE_PREFIX", "rectify")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix,
        },
        "limits": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix + ":limits",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache"
            if _cache_dir
            else "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": _cache_dir or "rectify",
        },
        "limits": {
            "BACKEND": "core.cache.CounterFileCache" if _cache_dir else "core.cache.CounterLocMemCache",
            "LOCATION": str(Path(_cache_dir) / "limits") if _cache_dir else "rectify-limits",
            # Above this many files, expired counters are deleted (live ones never are).
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }
# Sessions are rows in the database (Django's default engine), so a log-in holds on every app server.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The public site name shown in titles
SITE_NAME = _("Rectify self-inspection and rectification")

# Django's own request records ("Bad Request: /o/…", errors with their request) about anonymous
# endpoints are counted per day instead of written one by one (core.unlinkable): no address, no
# time, no position among other lines. Records carry no time or address of their own (no %(asctime)s).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"anonymous_requests": {"()": "core.unlinkable.AnonymousRequestFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["anonymous_requests"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Anonymous opinions and peer reviews wait in a Redis set (memory only) and reach the database in
# shuffled daily batches (problems/dropbox.py); empty = write at once. Tests opt in.
RECTIFY_DROPBOX_URL = os.environ.get(
    "RECTIFY_DROPBOX_URL", "" if TESTING else os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
)
RECTIFY_DROPBOX_BATCH = int(os.environ.get("RECTIFY_DROPBOX_BATCH", "10"))
# One pool per installation: two sites on one Redis (or a demo beside a real site) never share input.
RECTIFY_DROPBOX_KEY = os.environ.get(
    "RECTIFY_DROPBOX_KEY",
    "rectify:dropbox:" + hashlib.sha256(str(DATABASES["default"]["NAME"]).encode()).hexdigest()[:16],
)

# The audit trail's keys and anchors (audit/keys.py, audit/anchors.py; docs/deploy.md). Records are sealed
# with HMAC-SHA256 under a key kept outside the database: RECTIFY_AUDIT_KEYS ("id:hexsecret,…", from a
# secret store) or a key file (generated on first use, 0600). The head's seal is anchored every
# AUDIT_ANCHOR_EVERY_SECONDS to an append-only file (0600) and sent to the city office's instance (POST)
# and/or by e-mail. Tests get no anchor file unless they name one.
AUDIT_KEYS = os.environ.get("RECTIFY_AUDIT_KEYS", "")
AUDIT_KEYS_FILE = Path(os.environ.get("RECTIFY_AUDIT_KEYS_FILE", VAR_DIR / "audit_keys"))
AUDIT_ANCHOR_PATH = os.environ.get("RECTIFY_AUDIT_ANCHOR_PATH", "" if TESTING else str(VAR_DIR / "audit-anchors.log"))
AUDIT_ANCHOR_URL = os.environ.get("RECTIFY_AUDIT_ANCHOR_URL", "")
AUDIT_ANCHOR_TOKEN = os.environ.get("RECTIFY_AUDIT_ANCHOR_TOKEN", "")
AUDIT_ANCHOR_EMAILS = [a.strip() for a in os.environ.get("RECTIFY_AUDIT_ANCHOR_EMAILS", "").split(",") if a.strip()]
AUDIT_ANCHOR_EVERY_SECONDS = int(os.environ.get("RECTIFY_AUDIT_ANCHOR_EVERY_SECONDS", "3600"))

# evaluations: absolute base of ballot links printed on QR slips (e.g. https://zy.example.edu.cn);
# empty = the address the office uses when issuing codes.
EVALUATIONS_PUBLIC_BASE_URL = os.environ.get("RECTIFY_PUBLIC_BASE_URL", "")

# Rectification warnings and group-robot webhooks (企业微信 / 钉钉), see notifications/webhooks.py
RECTIFY_WARNING_GREEN_DAYS = int(os.environ.get("RECTIFY_WARNING_GREEN_DAYS", "14"))
RECTIFY_WARNING_YELLOW_DAYS = int(os.environ.get("RECTIFY_WARNING_YELLOW_DAYS", "3"))
RECTIFY_WEBHOOK_URLS = [u for u in os.environ.get("RECTIFY_WEBHOOK_URLS", "").split(",") if u.strip()]
RECTIFY_WEBHOOK_DINGTALK_SECRET = os.environ.get("RECTIFY_WEBHOOK_DINGTALK_SECRET", "")

# Bounds on typed dates (core/bounds.py): a campaign lasts at most this many years from its start, and every
# deadline inside it (measures, extensions, returned close-outs, milestones) falls within that span.
RECTIFY_CAMPAIGN_MAX_YEARS = int(os.environ.get("RECTIFY_CAMPAIGN_MAX_YEARS", "5"))

# Self-inspection reports: a review pending longer than this is overdue and its reviewer is reminded
# (in the app and by e-mail) by the reports reminder task.
REPORT_REVIEW_OVERDUE_DAYS = int(os.environ.get("REPORT_REVIEW_OVERDUE_DAYS", "5"))
