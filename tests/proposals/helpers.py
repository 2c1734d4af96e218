"""Test data for proposals: complete answers, small valid files, logging in, many proposals
at once."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.calls.models import Call
from app.db import utcnow
from app.extensions import db
from app.proposals import services
from app.proposals.models import (
    Attachment,
    AttachmentKind,
    Partner,
    PartnerKind,
    Proposal,
    ProposalState,
)
from app.proposals.sections import SectionInput
from tests.factories import make_proposal, make_user


def minimal_pdf(text: str = "Letter of support") -> bytes:
    """A small, well-formed one-page PDF."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def minimal_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def minimal_jpeg() -> bytes:
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + b"\x00" * 64 + b"\xff\xd9"


def complete_answers(call: Call) -> dict[str, Any]:
    return {
        "organisation": {"contact_role": "Head of culture"},
        "venue": {
            "address": "Rua Augusta 1, 1100-048 Lisboa",
            "accessibility": "Step-free entrance from the square; metro at 100 m.",
            "opening_hours": "Tuesday to Sunday, 10:00-22:00",
            "floor_area": 72,
        },
        "technical": {
            "broadband": "yes",
            "video_wall_room": "yes",
            "staff": "planned",
            "technical_notes": "",
        },
        "narratives": {c.key: f"Our answer on {c.name}." for c in call.criteria},
        "programme": {
            "programme_ideas": "A first conversation between young people of three cities.",
            "linked_cities": "Rio de Janeiro, Maputo and Turin.",
        },
        "funding": {
            "funding": "The city pays the space; a foundation the equipment.",
            "sustainability": "A five-year agreement with the university.",
        },
    }


def complete_proposal(
    *, call: Call, owner=None, state: ProposalState = ProposalState.DRAFT, **fields: Any
) -> Proposal:
    """A proposal with every required answer, ready to submit."""
    proposal = make_proposal(
        call=call,
        owner=owner,
        state=state,
        answers=complete_answers(call),
        population=fields.pop("population", 545_000),
        contact_phone=fields.pop("contact_phone", "+351 21 000 0000"),
        language=fields.pop("language", "en"),
        **fields,
    )
    proposal.partners = [
        Partner(
            organisation="Casa da Cultura",
            kind=PartnerKind.CULTURAL,
            offers_people=True,
            offers_space=True,
            offers_networks=True,
            position=0,
        )
    ]
    db.session.flush()
    return proposal


def section_input(partners: list[dict[str, Any]] | None = None, **values: Any) -> SectionInput:
    return SectionInput(values=values, partners=partners)


def attach(
    proposal: Proposal,
    data: bytes | None = None,
    *,
    name: str = "letter.pdf",
    kind: AttachmentKind = AttachmentKind.LETTER_OF_SUPPORT,
    actor: User | None = None,
) -> Attachment:
    """Upload a file through the service, as the proposal's owner unless told otherwise."""
    return services.add_attachment(
        actor=actor or db.session.get(User, proposal.owner_id),
        proposal=proposal,
        stream=io.BytesIO(minimal_pdf() if data is None else data),
        filename=name,
        kind=kind,
    )


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def save(
    proposal: Proposal,
    section: str,
    *,
    version: int | None = None,
    partners: list[dict[str, Any]] | None = None,
    **values: Any,
) -> services.SaveResult:
    """Save one section as the owner, from a page loaded at `version` (the current one)."""
    return services.save_section(
        actor=db.session.get(User, proposal.owner_id),
        proposal=proposal,
        section_key=section,
        data=section_input(partners=partners, **values),
        expected_version=proposal.version if version is None else version,
    )


# The states add_proposals spreads proposals over, in turn.
ADDED_STATES = [ProposalState.SUBMITTED, ProposalState.DRAFT, ProposalState.UNDER_REVIEW]


def add_proposals(call_id: int, count: int, *, start: int = 0) -> None:
    """Many proposals in one flush, spread over states, countries and regions."""
    owner = make_user()
    now = utcnow()
    proposals = []
    for number in range(start, start + count):
        state = ADDED_STATES[number % len(ADDED_STATES)]
        proposals.append(
            Proposal(
                call_id=call_id,
                owner_id=owner.id,
                state=state,
                city=f"City {number}",
                country_code=["PT", "BR", "KE", "JP"][number % 4],
                region=["Europe", "Americas", "Africa", "Asia"][number % 4],
                continent=["Europe", "Americas", "Africa", "Asia"][number % 4],
                organisation=f"Municipality {number}",
                contact_name=f"Contact {number}",
                contact_email=f"contact{number}@city.example",
                submitted_at=None if state == ProposalState.DRAFT else now,
            )
        )
    db.session.add_all(proposals)
    db.session.flush()
