"""What the calls domain asks the domains above it before a call's criteria change.

A lower floor never imports a higher one. Scores are given on criteria in reviews, so
reviews answers: whether a call's criteria are frozen, whether a new scale leaves draft
scores outside it, and what goes with a criterion that is removed. Receivers run inside
the sender's transaction.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with call_id=...; a receiver returns True when the call's criteria must not change.
criteria_frozen = _signals.signal("criteria-frozen")

# Sent with criterion_id=..., scale_min=..., scale_max=... before a criterion's scale
# changes; a receiver raises a DomainError to refuse the new scale.
criterion_rescaling = _signals.signal("criterion-rescaling")

# Sent with criterion_id=... before a criterion is removed; receivers remove what hangs on it.
criterion_removing = _signals.signal("criterion-removing")
