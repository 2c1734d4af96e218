"""CLI commands of the proposals domain."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Nothing yet."""
