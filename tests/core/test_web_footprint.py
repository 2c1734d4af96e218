"""A web worker starts without the heavy libraries only background jobs need.

Each gunicorn worker imports the whole app; the solvers' OR-Tools and numpy would add tens
of MiB to every worker (docs/PERFORMANCE.md, web worker peak memory), so solvers and file
writers import their libraries where they run. Flask-Migrate (and with it Alembic, 8 MiB of
a worker's peak, which PostgreSQL's would take past its budget) is imported only when a
migration runs (app/extensions.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

from config import BASE_DIR

JOB_ONLY_LIBRARIES = ("numpy", "ortools", "openpyxl", "reportlab", "pypdf")
CLI_ONLY_LIBRARIES = ("flask_migrate", "alembic", "mako")


def test_creating_the_app_imports_no_job_only_library():
    script = (
        "import json, sys\n"
        "from app import create_app\n"
        "create_app('testing')\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert imported & {*JOB_ONLY_LIBRARIES, *CLI_ONLY_LIBRARIES} == set()
