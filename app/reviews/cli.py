"""CLI commands of the reviews domain."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Nothing yet."""
