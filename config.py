"""Configuration classes, read from the environment.

Development needs nothing installed (SQLite file, tasks run in-process, mail to the
console). Production reads every secret from the environment and refuses to start
when one is missing.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'dialogue_cafe.db'}"


class ConfigurationError(RuntimeError):
    """A required setting is missing or wrong; the message says which and how to fix it."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def database_url_from_env(default: str) -> str:
    """Normalise DATABASE_URL so that PostgreSQL always goes through psycopg 3."""
    url = os.environ.get("DATABASE_URL", default)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(folder: Path = INSTANCE_DIR) -> str:
    """A random key made once per instance folder and kept there (readable by its owner only).

    Development must not sign sessions and links with a key written in the source: anyone
    could forge an invitation link to a deployment that forgot APP_ENV=production.
    """
    path = folder / "secret_key"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by a sibling process a moment ago
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        key_file.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


class BaseConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = database_url_from_env(
        f"sqlite:///{INSTANCE_DIR / 'dialogue_cafe.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # The public address used in every link we email; never the request's Host header.
    SERVER_NAME = os.environ.get("SERVER_NAME", "127.0.0.1:5000")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")

    REDIS_URL = os.environ.get("REDIS_URL", "")
    # How tasks leave a transaction: "celery" (a broker), "in_process" (run now, after
    # the commit, in this process) or "record" (kept in a list, for tests).
    TASK_DISPATCH = "in_process"
    CELERY: dict = {}

    # "console" prints each message and keeps it in the outbox; "smtp" sends it.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 30)
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Dialogue Café Call <no-reply@dialoguecafe.example>"
    )
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)
    # A pending message handed to the broker this long ago is handed over again.
    NOTIFICATION_REDISPATCH_SECONDS = _env_int("NOTIFICATION_REDISPATCH_SECONDS", 120)

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # The interface languages, each by its own name. One is offered (in the menu, for emails)
    # only when its catalogue in app/translations/<code>/ is complete (app.core.i18n), so a
    # half-translated language never shows; tests/core/test_languages.py fails on a missing
    # string. README "Adding a language" says how.
    LANGUAGES = {
        "en": "English",
        "fr": "Français",
        "es": "Español",
        "pt": "Português",
        "ar": "العربية",
    }

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # A session ends after this long without a request, and this long after the login
    # however busy; one started with "Keep me logged in" lasts REMEMBER_COOKIE_DURATION.
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 120)
    SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)
    WTF_CSRF_TIME_LIMIT = None  # a long form filled over hours must not lose its token
    SECURE_HEADERS_HSTS = False

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")  # per API token
    # The login form: hard limits per address and per (email typed, address), then a
    # slow-down per account, never a lock-out (the rule: app/accounts/login_throttle.py).
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
    LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = "10 per 15 minutes"
    LOGIN_SLOWDOWN_AFTER = "10 per 15 minutes"
    LOGIN_SLOWDOWN_MAX_SECONDS = 60
    # Two-factor login (app/accounts/two_factor.py): the roles that must use it (comma
    # separated, e.g. "administrator,reviewer"; empty: nobody must), and whether a person of
    # such a role without it is sent to set it up before any other page.
    TWO_FACTOR_REQUIRED_ROLES = tuple(
        role.strip()
        for role in os.environ.get("TWO_FACTOR_REQUIRED_ROLES", "administrator").split(",")
        if role.strip()
    )
    TWO_FACTOR_ENFORCE = _env_bool("TWO_FACTOR_ENFORCE", True)

    EMAIL_TOKEN_MAX_AGE = int(timedelta(days=3).total_seconds())
    PASSWORD_RESET_MAX_AGE = int(timedelta(hours=2).total_seconds())
    INVITATION_MAX_AGE = int(timedelta(days=14).total_seconds())

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    EXPORT_FOLDER = os.environ.get("EXPORT_FOLDER", str(INSTANCE_DIR / "exports"))
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 25 * 1024 * 1024)
    # How many reverse proxies stand in front of the app: their X-Forwarded-For and
    # X-Forwarded-Proto are trusted (the client address drives the login throttle).
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    # Accounts: forms that send email or guess passwords, limited per client address and
    # per email address typed (POST only).
    REGISTRATION_LIMIT_PER_ADDRESS = "10 per hour"
    EMAIL_LINK_LIMIT_PER_ADDRESS = "20 per hour"
    EMAIL_LINK_LIMIT_PER_ACCOUNT = "5 per hour"

    # Outbox delivery: a failed attempt waits base * 2**(attempts - 1) seconds (with jitter,
    # capped) before the dispatcher hands the message over again.
    MAIL_RETRY_BASE_SECONDS = _env_int("MAIL_RETRY_BASE_SECONDS", 30)
    MAIL_RETRY_MAX_SECONDS = _env_int("MAIL_RETRY_MAX_SECONDS", 6 * 3600)
    # How long a worker's claim on one message lasts; longer than one SMTP conversation,
    # after which a message whose worker died is tried again.
    NOTIFICATION_CLAIM_SECONDS = _env_int("NOTIFICATION_CLAIM_SECONDS", 300)
    # A job still queued after this long (the broker did not take it) is handed over again.
    JOB_REDISPATCH_SECONDS = _env_int("JOB_REDISPATCH_SECONDS", 300)

    # Reviews: how many days before the review deadline reviewers get a reminder.
    REVIEW_REMINDER_DAYS = _env_int("REVIEW_REMINDER_DAYS", 3)

    # Audit entries older than this many days are deleted each night; 0 keeps them forever.
    AUDIT_RETENTION_DAYS = _env_int("AUDIT_RETENTION_DAYS", 730)

    # Calls: rendered public call pages kept per web process for visitors without an
    # account (app/calls/page_cache.py); 0 turns the cache off. A call's version is read
    # from the database at most once per VERSION_SECONDS per process, so an edit reaches
    # those visitors within that time (deadlines are exact: they are computed per request).
    PUBLIC_CALL_CACHE_SIZE = _env_int("PUBLIC_CALL_CACHE_SIZE", 256)
    PUBLIC_CALL_VERSION_SECONDS = float(os.environ.get("PUBLIC_CALL_VERSION_SECONDS", "2"))
    # The city's form keeps each call's criteria (as form fields) per call version and
    # process, so its pages read no criteria; exact, since the version moves with them.
    CRITERIA_FIELDS_CACHE_SIZE = _env_int("CRITERIA_FIELDS_CACHE_SIZE", 64)

    # Password hashing (app/accounts/passwords.py): OWASP's Argon2id baseline, 19 MiB and
    # 2 passes, in 2 lanes (one per core, as RFC 9106 advises): the same memory and work for
    # an attacker's guess, half the wait at login (25 -> 14 ms here). Every login and
    # registration spends that memory in a web worker: 64 MiB x 4 lanes took 0.27 s and
    # pushed a worker past its 150 MiB budget (docs/PERFORMANCE.md). Stored hashes follow
    # the setting at their owner's next login.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 19456)  # KiB
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 2)


def celery_settings(broker_url: str, **overrides) -> dict:
    """Celery settings for work that must not be lost."""
    settings = {
        "broker_url": broker_url,
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Longer than any job, or Redis hands an unacknowledged task to a second worker.
        "broker_transport_options": {"visibility_timeout": 4 * 3600},
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        # Several deployments (or test runs) can share one Redis with their own queue.
        "task_default_queue": os.environ.get("CELERY_QUEUE", "celery"),
        "include": [
            "workers.jobs",
            "workers.notifications",
            "workers.calls",
            "workers.reviews",
            "workers.shortlists",
            "workers.audit",
        ],
        # Every periodic task is safe to run twice in the same window.
        "beat_schedule": {
            "dispatch-pending-notifications": {
                "task": "notifications.dispatch_pending",
                "schedule": 30.0,
            },
            "redispatch-queued-jobs": {"task": "jobs.redispatch_queued", "schedule": 60.0},
            "close-due-calls": {"task": "calls.close_due", "schedule": 60.0},
            "send-closing-soon-notices": {
                "task": "notifications.send_closing_soon",
                "schedule": 3600.0,
            },
            "send-review-reminders": {"task": "reviews.send_reminders", "schedule": 3600.0},
            "send-daily-digest": {
                "task": "notifications.send_daily_digest",
                "schedule": crontab(hour=7, minute=0),
            },
            "purge-old-audit-entries": {
                "task": "audit.purge_old_entries",
                "schedule": crontab(hour=3, minute=30),
            },
        },
    }
    settings.update(overrides)
    return settings


class DevelopmentConfig(BaseConfig):
    DEBUG = False
    TASK_DISPATCH = os.environ.get("TASK_DISPATCH", "in_process")
    CELERY = celery_settings(
        os.environ.get("REDIS_URL", "memory://"), task_always_eager=TASK_DISPATCH == "in_process"
    )
    # Without SECRET_KEY in the environment, create_app takes instance_secret_key().


def signs_of_a_deployment(database_url: str) -> list[str]:
    """What says this process serves real people: gunicorn, or a database server."""
    signs = []
    if "gunicorn" in sys.modules:
        signs.append("gunicorn serves it")
    if not database_url.startswith("sqlite"):
        signs.append("its database is a server (DATABASE_URL)")
    return signs


def check_development_is_chosen(config: object, environ=os.environ) -> str | None:
    """The development configuration on a deployment is refused unless chosen by name.

    A deployment that forgot APP_ENV=production would otherwise run with insecure cookies,
    no HSTS and mail to the console, and say nothing. Chosen explicitly (APP_ENV=development,
    as the test servers and the benchmark do), it runs, and the returned warning is logged.
    """
    if not (isinstance(config, type) and issubclass(config, DevelopmentConfig)):
        return None
    signs = signs_of_a_deployment(str(config.SQLALCHEMY_DATABASE_URI))
    if not signs:
        return None
    reason = " and ".join(signs)
    if environ.get("APP_ENV") != "development":
        raise ConfigurationError(
            f"APP_ENV is not set, but {reason}: set APP_ENV=production (README.md, "
            "'Running in production'), or APP_ENV=development to run the development "
            "configuration there on purpose."
        )
    return (
        f"Running the DEVELOPMENT configuration although {reason}: cookies are not marked "
        "secure and mail goes to the console. Set APP_ENV=production for real use."
    )


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105 - tests only
    SERVER_NAME = "call.test"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    TASK_DISPATCH = "record"
    MAIL_BACKEND = "console"
    CELERY = celery_settings("memory://")
    RATELIMIT_STORAGE_URI = "memory://"
    # Cheap hashing keeps the suite fast; the algorithm is the same.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    UPLOAD_FOLDER = ""  # set per test to a temporary folder
    EXPORT_FOLDER = ""
    PUBLIC_CALL_CACHE_SIZE = 0  # tests that want the cache turn it on
    # Tests change criteria directly and reuse ids and frozen instants: no cache, unless asked.
    CRITERIA_FIELDS_CACHE_SIZE = 0


class ProductionConfig(BaseConfig):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SECURE_HEADERS_HSTS = True
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    TASK_DISPATCH = "celery"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SERVER_NAME", "MAIL_SERVER")

    @classmethod
    def check_environment(cls) -> None:
        missing = [name for name in cls.REQUIRED if not os.environ.get(name)]
        if missing:
            raise ConfigurationError(
                "Production configuration is incomplete: set "
                + ", ".join(missing)
                + " in the environment (see README.md, 'Running in production')."
            )
        if len(os.environ["SECRET_KEY"]) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters long.")

    def __init__(self) -> None:
        self.check_environment()
        self.SECRET_KEY = os.environ["SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = database_url_from_env("")
        self.REDIS_URL = os.environ["REDIS_URL"]
        self.SERVER_NAME = os.environ["SERVER_NAME"]
        self.MAIL_SERVER = os.environ["MAIL_SERVER"]
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        self.CELERY = celery_settings(self.REDIS_URL)
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": True,
            "pool_size": _env_int("DATABASE_POOL_SIZE", 5),
        }


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None):
    """The config object for APP_ENV (development by default)."""
    name = name or os.environ.get("APP_ENV", "development")
    try:
        config_class = CONFIGS[name]
    except KeyError:
        raise ConfigurationError(
            f"Unknown APP_ENV {name!r}; use one of {', '.join(CONFIGS)}."
        ) from None
    return config_class() if config_class is ProductionConfig else config_class
