"""Absolute links for emails, built from the configured server name, never the Host header."""

from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    config = current_app.config
    adapter = current_app.url_map.bind(
        config["SERVER_NAME"],
        url_scheme=config["PREFERRED_URL_SCHEME"],
        script_name=config.get("APPLICATION_ROOT") or "/",
    )
    return adapter.build(endpoint, values, force_external=True)
