import sys
from pathlib import Path

import pytest

from config import (
    DEFAULT_DATABASE_URL,
    ConfigurationError,
    ProductionConfig,
    database_url_from_env,
    instance_secret_key,
    load_config,
)

PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgresql://db.internal/call",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "SERVER_NAME": "call.example.org",
    "MAIL_SERVER": "smtp.example.org",
}


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_a_required_setting(monkeypatch, missing):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigurationError, match=missing):
        ProductionConfig()


def test_production_refuses_a_short_secret_key(monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="32 characters"):
        ProductionConfig()


def test_production_reads_everything_from_the_environment(monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    config = ProductionConfig()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db.internal/call"
    assert config.CELERY["broker_url"] == PRODUCTION_ENV["REDIS_URL"]
    assert PRODUCTION_ENV["REDIS_URL"] == config.RATELIMIT_STORAGE_URI
    assert config.CELERY["task_acks_late"] and config.CELERY["task_reject_on_worker_lost"]
    assert config.CELERY["worker_prefetch_multiplier"] == 1
    assert config.SESSION_COOKIE_SECURE and config.SECURE_HEADERS_HSTS


def test_postgres_urls_always_use_psycopg_3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert database_url_from_env("") == "postgresql+psycopg://u@h/db"


def test_an_unknown_environment_name_is_refused():
    with pytest.raises(ConfigurationError, match="Unknown APP_ENV"):
        load_config("staging")


def test_development_needs_nothing_installed(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url_from_env(DEFAULT_DATABASE_URL).startswith("sqlite:///")
    assert DEFAULT_DATABASE_URL.endswith("instance/dialogue_cafe.db")
    config = load_config("development")
    assert config.TASK_DISPATCH == "in_process"
    assert config.MAIL_BACKEND == "console"


def test_development_signs_with_a_random_key_kept_in_its_instance_folder(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'call.db'}")
    first = instance_secret_key(tmp_path / "one")
    assert len(first) == 64 and first == instance_secret_key(tmp_path / "one")
    assert first != instance_secret_key(tmp_path / "two")
    assert (tmp_path / "one" / "secret_key").stat().st_mode & 0o077 == 0
    source = Path(__file__).resolve().parents[2] / "config.py"
    assert "dev-only-secret" not in source.read_text(encoding="utf-8")
    app = create_app()
    assert app.config["SECRET_KEY"] == (Path(app.instance_path) / "secret_key").read_text()


@pytest.mark.parametrize("sign", ["gunicorn", "database"])
def test_a_deployment_that_forgot_app_env_refuses_to_start(monkeypatch, sign):
    """Served by gunicorn or on a database server, the development settings run only when
    APP_ENV=development says so (the test servers and the benchmark), and then say it."""
    from config import DevelopmentConfig, check_development_is_chosen

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = (
            "postgresql+psycopg://db/call" if sign == "database" else "sqlite:///x.db"
        )

    if sign == "gunicorn":
        monkeypatch.setitem(sys.modules, "gunicorn", object())
    else:
        monkeypatch.delitem(sys.modules, "gunicorn", raising=False)
    with pytest.raises(ConfigurationError, match="APP_ENV=production"):
        check_development_is_chosen(Config, environ={})
    warning = check_development_is_chosen(Config, environ={"APP_ENV": "development"})
    assert "DEVELOPMENT configuration" in warning
    monkeypatch.delitem(sys.modules, "gunicorn", raising=False)

    class Laptop(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///x.db"

    assert check_development_is_chosen(Laptop, environ={}) is None
    assert check_development_is_chosen(ProductionConfig, environ={}) is None
