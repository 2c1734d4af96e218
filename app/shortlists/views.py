"""Routes of the shortlists domain."""

from flask import Blueprint

bp = Blueprint("shortlists", __name__)
