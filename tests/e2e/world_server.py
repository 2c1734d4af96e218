"""The app for the browser tests that visit every page of every role (accessibility, zoom).

`seed` builds the world of the crawler tests (tests/crawler.py: the demo, a closed call with
a compiled shortlist, a city with a draft and a question to answer, a reviewer with a review
in progress), adds the browser test call of tests/e2e/server.py, and leaves who plays each
role in `people.json` beside the upload folder (the test's own folder). `serve PORT` as there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.e2e.server import add_browser_test_call, main

PEOPLE_FILE = "people.json"


def seed() -> None:
    from tests.crawler import build_world

    world = build_world()
    add_browser_test_call()
    people = {role: user.email for role, user in world.users.items() if user is not None}
    folder = Path(os.environ["UPLOAD_FOLDER"]).parent
    (folder / PEOPLE_FILE).write_text(json.dumps(people))


if __name__ == "__main__":
    main(*sys.argv[1:], seeder=seed)
