"""CLI commands of the calls domain: none today.

Closing the calls that are due (`flask close-due-calls`) tells the cities and the
administrators, so it is a proposals command (app/proposals/cli.py). create_app asks every
domain for its commands; this answers for calls.
"""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Calls adds no command."""
