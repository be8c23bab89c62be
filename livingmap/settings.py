"""Settings for Living Map, read from the environment with safe defaults for the embedded demo.

Environment variables:
    DATABASE_URL   database to use (default: SQLite file var/livingmap.sqlite3).
    SECRET_KEY     required when DEBUG is off.
    DEBUG          "1" to turn on debug pages (default on only when no SECRET_KEY is set).
    ALLOWED_HOSTS  comma-separated host names (default: localhost names).
    LIVINGMAP_AREA_NAME  the name of the place shown in the header (default: Trafford).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

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
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("LIVINGMAP_TEST_SQLITE", "")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# What the site calls its place, and the data it shows by default.
LIVINGMAP_AREA_NAME = os.environ.get("LIVINGMAP_AREA_NAME", "Trafford")
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
