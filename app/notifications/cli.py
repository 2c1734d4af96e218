"""CLI commands of the notifications domain."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Nothing yet."""
