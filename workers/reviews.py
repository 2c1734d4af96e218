"""Celery tasks of the reviews domain: thin shells around app.reviews services."""
