"""CLI commands of the jobs domain."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Nothing yet."""
