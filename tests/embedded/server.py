"""The embedded default as `make run` serves it, for the concurrency tests: a real server.

`python -m tests.embedded.server seed` (after `flask db upgrade`) creates one open call and a
city whose complete draft is ready to submit; `serve PORT` serves the development app (an
SQLite file, tasks in-process, CSRF on) threaded with werkzeug, as `flask run` does.
"""

from __future__ import annotations

import sys

CITY_EMAIL = "lisbon@city.example"


def seed() -> int:
    """The city's draft proposal id (every required answer given, a letter attached)."""
    from app.extensions import db
    from tests.factories import PASSWORD, make_call, make_user
    from tests.proposals.helpers import attach, complete_proposal

    db.create_all()
    call = make_call(slug="dialogue-cafe-embedded")
    city = make_user(email=CITY_EMAIL, name="Lisbon city office", password=PASSWORD)
    proposal = complete_proposal(call=call, owner=city)
    attach(proposal)
    db.session.commit()
    return proposal.id


def main(command: str, *arguments: str) -> None:
    from werkzeug.serving import run_simple

    from app import create_app

    app = create_app("development")
    if command == "seed":
        with app.app_context():
            seed()
        return
    run_simple(
        "127.0.0.1", int(arguments[0]), app, threaded=True, use_reloader=False, use_debugger=False
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
