"""Password hashing stays at OWASP's Argon2id baseline and inside a web worker's memory budget.

A login or a registration spends the hash's memory in the web worker that serves it; at
64 MiB a single login pushed a worker past its 150 MiB budget (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from argon2 import extract_parameters

from app.accounts.passwords import hash_password
from config import DevelopmentConfig

OWASP_MIN_MEMORY_KIB = 19 * 1024  # with at least 2 passes
WORKER_BUDGET_SHARE_KIB = 32 * 1024


def test_passwords_are_hashed_with_owasp_argon2id_and_a_modest_memory_cost(
    app_context, monkeypatch
):
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        monkeypatch.setitem(app_context.config, name, getattr(DevelopmentConfig, name))

    parameters = extract_parameters(hash_password("a long enough passphrase"))

    assert parameters.type.name == "ID"
    assert parameters.time_cost >= 2
    assert OWASP_MIN_MEMORY_KIB <= parameters.memory_cost <= WORKER_BUDGET_SHARE_KIB
    assert parameters.parallelism <= 2  # lanes run on the machine's cores, at once
