"""Routes of the jobs domain."""

from flask import Blueprint

bp = Blueprint("jobs", __name__)
