"""The app for the browser tests: `seed` (after `flask db upgrade`) and `serve PORT`.

`seed` loads the demo (`flask seed-demo`: an open call and a call in review) and one more
open call with a single eligibility question for the city's own tests. `serve` runs a
threaded werkzeug server, as `flask run` does. The database, folders and server name come
from the environment the test sets (DATABASE_URL, UPLOAD_FOLDER, SERVER_NAME).
"""

from __future__ import annotations

import sys
from datetime import timedelta

CALL_SLUG = "dialogue-cafe-e2e"
ELIGIBILITY_QUESTION = "Do you apply for, or with the support of, a city government?"


def seed() -> None:
    from app.demo.seed import seed_demo
    from app.extensions import db

    seed_demo()
    db.session.commit()
    add_browser_test_call()


def add_browser_test_call() -> None:
    """An open call with a single eligibility question, for the city's own tests."""
    from app.calls.models import CallState, EligibilityQuestion
    from app.calls.services import create_call
    from app.db import utcnow
    from app.extensions import db

    now = utcnow()
    call = create_call(
        actor=None,
        slug=CALL_SLUG,
        title="Dialogue Café — browser test call",
        description="Host a **Dialogue Café** in your city.",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    call.state = CallState.OPEN
    call.eligibility_questions = [
        EligibilityQuestion(
            text=ELIGIBILITY_QUESTION,
            qualifying_answer=True,
            explanation="A city government must take part.",
        )
    ]
    db.session.commit()


def main(command: str, *arguments: str, seeder=seed) -> None:
    from werkzeug.serving import run_simple

    from app import create_app

    app = create_app("development")
    if command == "seed":
        with app.app_context():
            seeder()
        return
    port = int(arguments[0])
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
