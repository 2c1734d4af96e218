"""CLI commands of the shortlists domain."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Nothing yet."""
