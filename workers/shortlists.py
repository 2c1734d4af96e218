"""Celery tasks of the shortlists domain: thin shells around app.shortlists services."""
