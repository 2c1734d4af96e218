"""Background work: the Celery app, tasks queued after commit, and user-visible jobs.

`app/` never imports `workers/`: it sends tasks by name. A task queued in a
transaction is handed over only after that transaction commits, and dropped if it
rolls back, so no email or job ever concerns data that does not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

_PENDING_KEY = "tasks_after_commit"


def celery_init_app(app: Flask) -> Celery[Any]:
    """The Celery app bound to this Flask app: every task runs in its own app context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # A fresh app context gives the task its own database session, even when it
            # runs in-process right after the web request's commit. Called where a Flask
            # app is already active (in-process dispatch, a test), the task runs in that
            # app: shared tasks resolve to whichever Celery app was created last.
            flask_app = current_app if has_app_context() else app
            with flask_app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    app.extensions["dispatched_tasks"] = []
    return celery_app


def enqueue_after_commit(task_name: str, **ids: int | list[int]) -> None:
    """Queue a task to be sent once the current transaction commits."""
    # Make sure there is a transaction to belong to: a rollback then drops the task, and
    # a later commit of some other work never sends it.
    db.session.connection()
    db.session.info.setdefault(_PENDING_KEY, []).append((task_name, ids))


def dispatch_now(task_name: str, **kwargs: Any) -> bool:
    """Hand one task to the configured dispatcher. False when the broker did not take it."""
    mode = current_app.config["TASK_DISPATCH"]
    if mode == "record":
        current_app.extensions["dispatched_tasks"].append((task_name, kwargs))
        return True
    celery_app: Celery = current_app.extensions["celery"]
    try:
        if mode == "in_process":
            celery_app.loader.import_default_modules()
            celery_app.tasks[task_name].apply(kwargs=kwargs)
        else:
            celery_app.send_task(task_name, kwargs=kwargs)
    except Exception:
        # What the task is about is committed (an outbox row, a queued job): a periodic
        # re-dispatcher hands it over once the broker is back.
        log.exception("could not hand task %s %s to the broker", task_name, kwargs)
        return False
    return True


@event.listens_for(FlaskSession, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for position, (task_name, ids) in enumerate(pending):
        if not dispatch_now(task_name, **ids) and current_app.config["TASK_DISPATCH"] == "celery":
            # The broker is down: each further try would make the user wait for nothing.
            # Everything left is recorded and handed over later by the periodic
            # re-dispatchers (outbox rows, queued jobs).
            if len(pending) > position + 1:
                log.warning(
                    "broker unavailable: %s more tasks left for the re-dispatchers",
                    len(pending) - position - 1,
                )
            break


@event.listens_for(FlaskSession, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING_KEY, None)
