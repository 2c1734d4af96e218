"""Routes of the notifications domain."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
