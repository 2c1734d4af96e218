"""The API's reference page, /api/v1/docs: Swagger UI reading /api/v1/openapi.json, its
scripts and styles served by the app from the swagger-ui-bundle package (no CDN), started
by static/js/api_reference.js (the Content-Security-Policy allows no inline script)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_reference", __name__)
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")


@bp.get("/api/v1/docs")
def page():
    return render_template(
        "api/reference.html", spec_url=url_for("api-docs.openapi_json"), assets=ASSETS
    )


@bp.get("/api/v1/docs/assets/<any(" + ", ".join(f'"{name}"' for name in ASSETS) + "):name>")
def asset(name: str):
    return send_from_directory(Path(swagger_ui_path), name, max_age=86400)
