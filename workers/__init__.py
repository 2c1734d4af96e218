"""The Celery app, bound to the Flask app: `celery -A workers worker` / `celery -A workers beat`.

Tasks live in workers/<domain>.py (each a thin shell around a service in app/); the
periodic schedule is part of the Celery settings in config.py.
"""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
