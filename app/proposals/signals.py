"""What the proposals domain announces, for the domains above it to act on.

A lower floor never imports a higher one; it says what happened, and reviews (for one)
listens: a (re)submission may name a partner or contact who conflicts with a reviewer.
Receivers run inside the sender's transaction, so what they queue is sent after its commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with proposal_id=..., once the revision is recorded.
proposal_submitted = _signals.signal("proposal-submitted")
