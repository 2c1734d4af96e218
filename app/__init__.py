"""The application factory: reads like a checklist of what the app is made of."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import INSTANCE_DIR, check_development_is_chosen, instance_secret_key, load_config


def create_app(config: object | str | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(INSTANCE_DIR),
    )
    from app.core.urls import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    chosen_by_environment = config is None or isinstance(config, str)
    settings = load_config(config) if config is None or isinstance(config, str) else config
    app.config.from_object(settings)
    if not app.config["SECRET_KEY"]:
        # Development without SECRET_KEY: a random key kept in the instance folder.
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Settings a caller passes are chosen in code; those of APP_ENV may have been forgotten.
    warning = check_development_is_chosen(settings) if chosen_by_environment else None
    if warning:
        app.logger.warning(warning)

    if app.config.get("PROXY_COUNT"):
        # X-Forwarded-Host is never trusted: links come from SERVER_NAME only.
        count = app.config["PROXY_COUNT"]
        # Flask documents replacing wsgi_app with middleware; its stubs declare it a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=0
        )

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    from app.core.forms import init_text_checks
    from app.core.i18n import init_i18n
    from app.core.navigation import init_navigation
    from app.core.security import init_security_headers
    from app.errors import register_error_handlers

    init_i18n(app)
    init_navigation(app)
    init_security_headers(app)
    init_text_checks(app)
    register_error_handlers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every mapper known before the first query)
    from app.accounts.loader import init_login
    from app.extensions import csrf, db, limiter, migrate
    from app.jobs import celery_init_app

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    celery_init_app(app)


DOMAINS = (
    "core",
    "accounts",
    "calls",
    "proposals",
    "reviews",
    "shortlists",
    "notifications",
    "jobs",
)


def _register_blueprints(app: Flask) -> None:
    for domain in DOMAINS:
        views = importlib.import_module(f"app.{domain}.views")
        app.register_blueprint(views.bp)
    # The audit trail: accounts serve it, the audit being a floor below them (see its module).
    app.register_blueprint(importlib.import_module("app.accounts.audit_trail").bp)
    # The JSON API and its OpenAPI document, on top of every domain (app/api/).
    importlib.import_module("app.api").init_api(app)


# Packages with `flask` commands: the domains, the audit log's retention, and the demo data.
COMMANDS = (*DOMAINS, "audit", "demo")


def _register_cli(app: Flask) -> None:
    for package in COMMANDS:
        importlib.import_module(f"app.{package}.cli").register_commands(app)
