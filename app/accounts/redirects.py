"""Safe `next=` redirects: only paths on this site, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """The target if it is a local path, else None."""
    if not target:
        return None
    target = target.strip()
    # Browsers treat backslashes like slashes: "/\\evil.example" leaves the site.
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target
