"""Settings for Living Map, read from the environment with safe defaults for the embedded demo.

Environment variables:
    DATABASE_URL   database to use (default: SQLite file var/livingmap.sqlite3).
    SECRET_KEY     required when DEBUG is off.
    DEBUG          "1" to turn on debug pages (default on only when no SECRET_KEY is set).
    ALLOWED_HOSTS  comma-separated host names (default: localhost names).
    LIVINGMAP_AREA       the GSS code of the instance's default area, when several local
                         authorities are loaded (default: the first loaded). Its name, shown in
                         the header, comes from the data loaded (livingmap load_area).
    EMAIL_URL-like settings: EMAIL_HOST (SMTP when set, else the console), EMAIL_PORT,
        EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS ("1", STARTTLS), EMAIL_USE_SSL ("1":
        TLS from the start, as on port 465), DEFAULT_FROM_EMAIL.
    LIVINGMAP_HSTS_SECONDS  Strict-Transport-Security max-age when DEBUG is off (default 0: off).
    LIVINGMAP_REQUIRE_2FA   "0" lets officers, connectors, brokers and administrators use their
        powers without two-factor sign-in (default "1"; only for a local demo).
    LIVINGMAP_RATELIMIT     "0" turns rate limits off (default on).
    LIVINGMAP_MAX_REQUEST_BYTES  the largest request body accepted (default 20 MB), else 413.
    LIVINGMAP_BEHIND_PROXY  "1" when exactly one trusted proxy stands in front (and the app
        is not reachable directly): HTTPS is taken from its X-Forwarded-Proto, and the client's
        address (for rate limits) from the last entry of its X-Forwarded-For.
    LIVINGMAP_REVIEW_AFTER_DAYS, LIVINGMAP_ESCALATE_AFTER_DAYS  review reminders (docs/accounts.md).
    LIVINGMAP_STALE_AFTER_DAYS  an asset unverified this long shows so and ranks lower (540).
    LIVINGMAP_TILE_URL, LIVINGMAP_TILE_ATTRIBUTION  the map tile server and its credit line.
    LIVINGMAP_VAR_DIR       where the SQLite database and other local files go (default var/).
    LIVINGMAP_DATA_DIR      the open data the demo and built-in importers read (default data/).
    LOG_LEVEL               logging level (default WARNING).
    LIVINGMAP_ADMIN_REQUIRE_2FA  "0" lets staff accounts into Django's admin without two-factor
        sign-in (default "1"; see docs/security.md).
    LIVINGMAP_PLAIN_HTTP    "1" when served over plain HTTP on loopback (`make run`): cookies are
        not marked Secure. Never set it for a site reached over a network.
    LIVINGMAP_PG_STATEMENT_TIMEOUT, LIVINGMAP_PG_IDLE_IN_TRANSACTION_TIMEOUT  PostgreSQL
        session limits for the web server (30s, 60s); LIVINGMAP_PG_COMMAND_STATEMENT_TIMEOUT,
        LIVINGMAP_PG_COMMAND_IDLE_IN_TRANSACTION_TIMEOUT for `livingmap` commands (0: none, 10min).
    LIVINGMAP_TASKS_BACKEND, LIVINGMAP_BASE_URL, LIVINGMAP_JOB_HISTORY_DAYS, REDIS_URL
        background jobs (see the block "Background jobs" below and docs/deploying.md).
    LIVINGMAP_CACHE_DIR     a directory for a file-based cache shared by all worker processes
        (rate limits need a shared cache when more than one process serves the site).
See docs/accounts.md and docs/security.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIVINGMAP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

_secret = os.environ.get("SECRET_KEY", "")
DEBUG = os.environ.get("DEBUG", "1" if not _secret else "0") == "1"
if not _secret and not DEBUG:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
# An insecure key is only ever used for the local demo, where DEBUG is on.
SECRET_KEY = _secret or "insecure-demo-key-set-SECRET_KEY-in-production"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "ninja",
    "livingmap.core",
    "livingmap.areas",
    "livingmap.assets",
    "livingmap.places",
    "livingmap.accounts",
    "livingmap.insights",
    "livingmap.openreferral",
    "livingmap.timebank",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "livingmap.accounts.middleware.RequestSizeLimitMiddleware",
    # NUL and other control characters in any text of a request: a 400 (core/middleware.py)
    "livingmap.core.middleware.InputCheckMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "livingmap.accounts.middleware.ApiRateLimitMiddleware",
    "livingmap.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "livingmap.urls"
WSGI_APPLICATION = "livingmap.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "livingmap.core.context_processors.site",
                "livingmap.areas.context_processors.area",
                "livingmap.accounts.context_processors.account",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'livingmap.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # page_size acts only on a new, empty database (before its first table and before WAL
        # is set): 16 KiB pages, not SQLite's 4 KiB, make a large import about a tenth faster
        # with searches unchanged (docs/benchmarks.md). An older database keeps its pages.
        "init_command": (
            "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("LIVINGMAP_TEST_SQLITE", "")}
# -- PostgreSQL session timeouts (docs/deploying.md, "Database timeouts") ----------------------
# A session left idle inside a transaction (a killed process, a stuck request) is ended by the
# server, and with it its locks; a runaway statement is cancelled. The web server and the
# `livingmap` commands differ: an import may rightly run one long statement, so commands have
# no statement timeout by default (cli.py sets LIVINGMAP_PROCESS=command).
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    _command = os.environ.get("LIVINGMAP_PROCESS", "web") == "command"
    _pg_timeouts = {
        "statement_timeout": os.environ.get(
            "LIVINGMAP_PG_COMMAND_STATEMENT_TIMEOUT"
            if _command
            else "LIVINGMAP_PG_STATEMENT_TIMEOUT",
            "0" if _command else "30s",
        ),
        "idle_in_transaction_session_timeout": os.environ.get(
            "LIVINGMAP_PG_COMMAND_IDLE_IN_TRANSACTION_TIMEOUT"
            if _command
            else "LIVINGMAP_PG_IDLE_IN_TRANSACTION_TIMEOUT",
            "10min" if _command else "60s",
        ),
    }
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = " ".join(
        [_pg_options.get("options", ""), *(f"-c {k}={v}" for k, v in _pg_timeouts.items())]
    ).strip()
# -- end of PostgreSQL session timeouts -----------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts sign in by email address, matched whatever its case (accounts/backends.py). Django's
# own backend stays second so that sessions begun through it before stay signed in.
AUTHENTICATION_BACKENDS = [
    "livingmap.accounts.backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic fills it; WhiteNoise expects it to exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# LIVINGMAP_PLAIN_HTTP=1 (set by `make run`, which serves plain HTTP on 127.0.0.1 only): the
# cookies go without the Secure flag, which a browser would not send back over plain HTTP.
_plain_http = os.environ.get("LIVINGMAP_PLAIN_HTTP", "") == "1"
SESSION_COOKIE_SECURE = not (DEBUG or _plain_http)
CSRF_COOKIE_SECURE = not (DEBUG or _plain_http)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
#: One trusted proxy in front: see the module docstring and accounts.guards.client_address.
LIVINGMAP_BEHIND_PROXY = os.environ.get("LIVINGMAP_BEHIND_PROXY", "") == "1"
if not DEBUG:
    SECURE_HSTS_SECONDS = int(os.environ.get("LIVINGMAP_HSTS_SECONDS", "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https") if LIVINGMAP_BEHIND_PROXY else None
    )
# Uploads and form posts: refuse anything bigger than these (a 400 with a message).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Any request body (uploads of GeoJSON or CSV included) over this is refused with a 413.
LIVINGMAP_MAX_REQUEST_BYTES = int(
    os.environ.get("LIVINGMAP_MAX_REQUEST_BYTES", str(20 * 1024 * 1024))
)

# Sign-in, accounts, two-factor sign-in (docs/accounts.md).
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "account_home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
OTP_TOTP_ISSUER = "Living Map"
LIVINGMAP_REQUIRE_2FA = os.environ.get("LIVINGMAP_REQUIRE_2FA", "1") == "1"
# Two-factor sign-in before Django's admin too (officers' main tool); see docs/security.md.
LIVINGMAP_ADMIN_REQUIRE_2FA = (
    LIVINGMAP_REQUIRE_2FA and os.environ.get("LIVINGMAP_ADMIN_REQUIRE_2FA", "1") == "1"
)

# Email: SMTP when EMAIL_HOST is set, else printed to the console (development). Django 6.1
# configures it in MAILERS (the EMAIL_* settings are deprecated there); 5.2 in EMAIL_*.
_smtp_host = os.environ.get("EMAIL_HOST", "")
_mail_backend = (
    "django.core.mail.backends.smtp.EmailBackend"
    if _smtp_host
    else "django.core.mail.backends.console.EmailBackend"
)
_smtp = {
    "host": _smtp_host,
    "port": int(os.environ.get("EMAIL_PORT", "587")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    # TLS from the start (port 465) or STARTTLS: one or the other, never both.
    "use_ssl": os.environ.get("EMAIL_USE_SSL", "0") == "1",
}
_smtp["use_tls"] = not _smtp["use_ssl"] and os.environ.get("EMAIL_USE_TLS", "1") == "1"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _smtp if _smtp_host else {}}}
else:
    EMAIL_BACKEND = _mail_backend
    EMAIL_HOST, EMAIL_PORT = _smtp["host"], _smtp["port"]
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp["username"], _smtp["password"]
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp["use_tls"], _smtp["use_ssl"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Living Map <no-reply@localhost>")

# --- Background jobs (core/jobs.py, docs/deploying.md "The worker and the scheduler") ---------
# One task system: Django's tasks framework (the django-tasks backport on Django 5.2) with a
# queue in the database by default (django-tasks-db), run by `livingmap db_worker`; the
# scheduler is `livingmap run_scheduler`; `livingmap serve` runs both beside the web server.
# LIVINGMAP_TASKS_BACKEND: "database" (default), "immediate" (run in the process that queues:
# tests, one-off scripts) or "redis" (RQ via django-tasks-rq: the "redis" extra; REDIS_URL).
LIVINGMAP_TASKS_BACKEND = os.environ.get("LIVINGMAP_TASKS_BACKEND", "database")
_tasks_module = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
if LIVINGMAP_TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": f"{_tasks_module}.backends.immediate.ImmediateBackend"}}
elif LIVINGMAP_TASKS_BACKEND == "redis":
    if django.VERSION >= (6, 0):
        raise RuntimeError(
            "LIVINGMAP_TASKS_BACKEND=redis needs Django 5.2 (Python 3.11): django-tasks-rq does "
            "not yet support Django 6's tasks framework. Use the database backend."
        )
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif LIVINGMAP_TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise RuntimeError("LIVINGMAP_TASKS_BACKEND must be database, immediate or redis")
INSTALLED_APPS += ["django_tasks_db"]  # its tables exist whichever backend runs
if django.VERSION >= (6, 0):
    INSTALLED_APPS.remove("django_tasks")  # Django 6 has the framework itself
# The site's address, for links in emails sent by background jobs (no request to take it from).
LIVINGMAP_BASE_URL = os.environ.get(
    "LIVINGMAP_BASE_URL", "http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
# Finished job runs (and the database queue's finished tasks) are kept this long.
LIVINGMAP_JOB_HISTORY_DAYS = int(os.environ.get("LIVINGMAP_JOB_HISTORY_DAYS", "30"))
# --- end of background jobs ---------------------------------------------------------------

# Caches: rate limits count in the cache. One process (the demo, tests) can use memory; a site
# served by several processes sets LIVINGMAP_CACHE_DIR so they share one file-based cache.
_cache_dir = os.environ.get("LIVINGMAP_CACHE_DIR", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _cache_dir}
        if _cache_dir
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
RATELIMIT_ENABLE = os.environ.get("LIVINGMAP_RATELIMIT", "1") == "1"
RATELIMIT_USE_CACHE = "default"
# Rates (django-ratelimit syntax): per client address unless said otherwise.
LIVINGMAP_RATES = {
    # Failed sign-ins (accounts/throttle.py, docs/security.md): per address, per account and
    # address, per account from browsers it never signed in from, per remembered browser.
    "login_ip": "30/10m",
    "login_pair": "5/10m",
    "login_username": "20/h",
    "login_device": "10/10m",
    "two_factor": "10/10m",
    "signup": "10/h",
    "password_reset": "5/h",
    "suggest": "20/h",
    "claim": "20/h",
    "api": "600/m",
}
# Freshness: an asset is due for review this many days after it was last verified; its admins
# are reminded, and an unanswered reminder goes to officers after LIVINGMAP_ESCALATE_AFTER_DAYS.
LIVINGMAP_REVIEW_AFTER_DAYS = int(os.environ.get("LIVINGMAP_REVIEW_AFTER_DAYS", "365"))
LIVINGMAP_ESCALATE_AFTER_DAYS = int(os.environ.get("LIVINGMAP_ESCALATE_AFTER_DAYS", "28"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A refused request (4xx) is logged as one line, without a traceback (core/log_filters.py).
    "filters": {"refusals_on_one_line": {"()": "livingmap.core.log_filters.RefusalsOnOneLine"}},
    "loggers": {"django.request": {"filters": ["refusals_on_one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The instance's default area (a GSS code) when several are loaded; its name comes from the data.
LIVINGMAP_AREA = os.environ.get("LIVINGMAP_AREA", "")
# Map tiles: any XYZ tile server; the list of assets never depends on it.
LIVINGMAP_TILE_URL = os.environ.get(
    "LIVINGMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
LIVINGMAP_TILE_ATTRIBUTION = os.environ.get(
    "LIVINGMAP_TILE_ATTRIBUTION",
    "&copy; <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap</a> contributors",
)
LIVINGMAP_DATA_DIR = Path(os.environ.get("LIVINGMAP_DATA_DIR", BASE_DIR / "data"))
# An asset not verified (by its admins, an officer, or a sign of life) for this many days shows
# "not verified since …" and ranks below fresher assets in search. It is never deleted.
LIVINGMAP_STALE_AFTER_DAYS = int(os.environ.get("LIVINGMAP_STALE_AFTER_DAYS", "540"))

# Content-Security-Policy (django-csp 4): only our own scripts and styles; map tiles from the
# tile server's host. No inline scripts (data travels in json_script blocks, which are not run).
_tile_origin = "/".join(LIVINGMAP_TILE_URL.split("/")[:3]).replace("{s}.", "*.")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _tile_origin],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
