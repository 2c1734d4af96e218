"""Failed logins slow an account down, never lock it: the whole rule is here.

Three counters guard the login form, all in the rate limiter's storage (Redis in production,
so every process shares them), and none is ever cleared by a login that works:

1. per client address, whatever the email: `LOGIN_LIMIT_PER_ADDRESS` (flask-limiter, in the
   view): one address cannot try many accounts;
2. per email typed and client address: `LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS` (flask-limiter,
   refused logins only): one address guesses at one account that often, then waits out the
   window; the owner, from any other address, is not concerned;
3. per email typed, whatever the address (here): once `LOGIN_SLOWDOWN_AFTER` failed logins
   ("10 per 15 minutes") are counted for it, each attempt for that account first waits, per
   address: an address's first try is answered 429 with Retry-After 2 seconds, doubling with
   each further failure up to `LOGIN_SLOWDOWN_MAX_SECONDS` (60), and once it has waited, its
   next try is checked as usual (a failure makes its following try wait again). Since each
   address waits on its own clock, a thousand guessing addresses never make the owner wait
   longer than the cap, and the correct password, after the wait, logs in.

The client address is `request.remote_addr`: ProxyFix makes it the X-Forwarded-For client
only for `PROXY_COUNT` trusted proxies. The email is counted as typed (normalised), so an
email without an account is slowed exactly like an account's and the answer never tells which.
While waiting, the password is not even checked. The owner is told by email once per window,
when the count reaches the threshold (app.accounts.services).
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import RateLimitItem, parse

from app.extensions import limiter

FIRST_WAIT_SECONDS = 2
MAX_DOUBLINGS = 20  # far past any sensible cap; keeps the number small


def slowdown() -> RateLimitItem:
    """How many failures in which window slow an account down (`LOGIN_SLOWDOWN_AFTER`)."""
    return parse(current_app.config["LOGIN_SLOWDOWN_AFTER"])


def window_seconds() -> int:
    return slowdown().get_expiry()


def count_failed_login(*, email: str) -> int:
    """Count one failed login for the email typed (normalised); the failures in this window."""
    if not limiter.enabled:
        return 0
    return limiter.storage.incr(_failures_key(email), expiry=window_seconds())


def seconds_to_wait(*, email: str, address: str | None) -> int:
    """0 when this address may try to log in to this account now, else the seconds to wait.

    The first call for a slowed account starts the address's wait; a call after it lets
    the attempt through and uses the wait up.
    """
    if not limiter.enabled or address is None:
        return 0
    storage, rule = limiter.storage, slowdown()
    failures = storage.get(_failures_key(email))
    if failures < rule.amount:
        return 0
    asked, waiting = _asked_key(email, address), _waiting_key(email, address)
    if storage.get(asked):
        if storage.get(waiting):
            return max(1, math.ceil(storage.get_expiry(waiting) - time.time()))
        storage.clear(asked)
        return 0
    doublings = min(failures - rule.amount, MAX_DOUBLINGS)
    wait = min(
        FIRST_WAIT_SECONDS * 2**doublings, int(current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"])
    )
    # The question is remembered past the wait, so the try after it is let through.
    storage.incr(asked, expiry=wait + rule.get_expiry())
    storage.incr(waiting, expiry=wait)
    return wait


def _failures_key(email: str) -> str:
    return f"login-failures/{email}"


def _asked_key(email: str, address: str) -> str:
    return f"login-asked/{email}/{address}"


def _waiting_key(email: str, address: str) -> str:
    return f"login-waiting/{email}/{address}"
