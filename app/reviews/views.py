"""Routes of the reviews domain."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)
