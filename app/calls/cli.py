"""CLI commands of the calls domain."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Nothing yet."""
