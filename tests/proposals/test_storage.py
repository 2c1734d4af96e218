"""Files are recognised by their first bytes and kept under names nobody chose."""

from __future__ import annotations

import pytest

from app.proposals import storage
from tests.proposals.helpers import minimal_jpeg, minimal_pdf, minimal_png


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (minimal_pdf(), "application/pdf"),
        (minimal_png(), "image/png"),
        (minimal_jpeg(), "image/jpeg"),
        (b"GIF89a" + b"\x00" * 20, None),
        (b"%PDF", None),
        (b"\x89PNG but not really", None),
        (b"", None),
    ],
)
def test_content_types_come_from_the_bytes(data, expected):
    assert storage.detect_content_type(data) == expected


def test_reading_stops_as_soon_as_the_limit_is_passed():
    class Endless:
        reads = 0

        def read(self, size: int) -> bytes:
            self.reads += 1
            return b"x" * size

    stream = Endless()
    assert storage.read_at_most(stream, 100_000) is None
    assert stream.reads < 10


@pytest.mark.parametrize("name", ["../etc/passwd", "a/../../b", "ABCDEF0123456789ABCDEF0123456789"])
def test_only_generated_names_map_to_a_path(name):
    with pytest.raises(ValueError):
        storage.path_for(name)


def test_stored_files_get_new_names_in_the_upload_folder(app):
    first = storage.store_file(minimal_pdf(), "application/pdf")
    second = storage.store_file(minimal_pdf(), "application/pdf")
    assert first.stored_name != second.stored_name
    assert first.checksum_sha256 == second.checksum_sha256
    assert storage.path_for(first.stored_name).parent.parent == storage.upload_root()
    assert storage.stored_names_on_disk() == {first.stored_name, second.stored_name}


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("Carta de apoio.PDF", "application/pdf", "Carta de apoio.pdf"),
        ("plan.jpeg", "image/jpeg", "plan.jpeg"),
        ("plan", "image/png", "plan.png"),
        ("virus.exe", "application/pdf", "virus.pdf"),
        ("C:\\Users\\ana\\letter.pdf", "application/pdf", "letter.pdf"),
        ("", "application/pdf", "attachment.pdf"),
        ("a\u202eexe.pdf", "application/pdf", "aexe.pdf"),
    ],
)
def test_download_names_are_cleaned(name, content_type, expected):
    assert storage.clean_original_name(name, content_type) == expected
