"""The yardstick: a Flask hello-world, served by gunicorn exactly like the app in the same run."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
