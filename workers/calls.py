"""Celery tasks of the calls domain: thin shells around app.calls services."""
