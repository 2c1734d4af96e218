"""Attachment files: recognised by their content, kept outside the web root under generated names.

The name a city gave a file is only ever shown (sanitised) and never used as a path; the
type comes from the file's first bytes, never from its name or the browser's content type.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from app.proposals.models import Attachment

import filetype
from flask import Response, abort, current_app, send_file

# Content type -> the extensions a download may carry (the first when the name has none).
ALLOWED_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
# What each type's first bytes must be, checked on top of `filetype`'s own guess.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
log = logging.getLogger(__name__)

STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size_bytes: int
    checksum_sha256: str


def upload_root() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER")
    if not folder:
        raise RuntimeError("UPLOAD_FOLDER is not configured")
    return Path(folder)


def read_at_most(stream: BinaryIO, limit: int) -> bytes | None:
    """The whole stream, or None as soon as it proves longer than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def detect_content_type(data: bytes) -> str | None:
    """'application/pdf', 'image/png' or 'image/jpeg' when the bytes are one of them."""
    guess = filetype.guess(data[:8192])
    if guess is None or guess.mime not in ALLOWED_EXTENSIONS:
        return None
    if not data.startswith(SIGNATURES[guess.mime]):
        return None
    return guess.mime


def path_for(stored_name: str) -> Path:
    if not STORED_NAME.match(stored_name):
        raise ValueError("not a generated attachment name")
    return upload_root() / stored_name[:2] / stored_name


def store_file(data: bytes, content_type: str) -> StoredFile:
    """Write the bytes under a new random name (atomically) and say what was written."""
    stored_name = secrets.token_hex(16)
    path = path_for(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{stored_name}.part")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o640)
    os.replace(temporary, path)
    return StoredFile(
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(data),
        checksum_sha256=hashlib.sha256(data).hexdigest(),
    )


def stored_names_on_disk() -> set[str]:
    root = upload_root()
    if not root.is_dir():
        return set()
    return {path.name for path in root.glob("*/*") if STORED_NAME.match(path.name)}


def clean_original_name(name: str | None, content_type: str) -> str:
    """A display and download name: no folders, no control characters, the right extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = re.sub(r'["<>:|?*;]', "", name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = f".{extension}".lower()
    if extension not in ALLOWED_EXTENSIONS[content_type]:
        extension = ALLOWED_EXTENSIONS[content_type][0]
    stem = stem[: 200 - len(extension)].strip(" .") or "attachment"
    return f"{stem}{extension}"


def attachment_response(attachment: Attachment) -> Response:
    """The file as a download that no browser renders or sniffs; 404 if it is not on disk.

    For the city and the organisers (proposals) and for an assigned reviewer (reviews):
    each route decides who may have it, this decides how it is sent.
    """
    path = path_for(attachment.stored_name)
    if not path.is_file():
        log.error("attachment %s has no file at %s", attachment.id, path)
        abort(404)
    # Read whole (files are a few MB at most), so no file handle outlives the request.
    response: Response = send_file(
        io.BytesIO(path.read_bytes()),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
        etag=attachment.checksum_sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
