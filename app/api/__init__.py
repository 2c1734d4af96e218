"""The JSON API, /api/v1: its OpenAPI document is made from the code by flask-smorest
(`/api/v1/openapi.json`), its reference page served by the app (`/api/v1/docs`).

Each resource module holds one blueprint made by `base.api_blueprint` (token, rate limit,
JSON errors). The API is the top floor: it reads through the domains' queries and changes
through their services, as the pages do.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask_smorest import Api

from app.api.schemas import Error

RESOURCES = ("calls", "shortlists", "proposals")
BEARER = {"type": "http", "scheme": "bearer", "description": "a personal API token"}


class _Api(Api):
    ERROR_SCHEMA = Error  # the document describes the errors the app answers

    def _register_error_handlers(self) -> None:
        """The app's own handlers answer JSON for /api/ (app/errors.py); flask-smorest's
        would take over every page's errors."""


def init_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Dialogue Café Call")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = _Api(spec_kwargs={"security": [{"bearer": []}]})
    api.init_app(app)
    api.spec.components.security_scheme("bearer", BEARER)
    for name in RESOURCES:
        api.register_blueprint(importlib.import_module(f"app.api.{name}").bp)
    app.register_blueprint(importlib.import_module("app.api.reference").bp)
    app.extensions["api"] = api
