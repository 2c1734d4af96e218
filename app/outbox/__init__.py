"""The outbox: every message is a row before it is an email (queued, delivered, rendered)."""
