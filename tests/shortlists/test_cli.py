"""flask compile-shortlist and flask export-call."""

from __future__ import annotations

from app.extensions import db
from app.shortlists.models import Shortlist, ShortlistState


def test_compile_shortlist_command_prints_the_chosen_cities(app, admin, scored):
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "compile-shortlist",
            scored.call.slug,
            "--size",
            "6",
            "--min-per-group",
            "0",
            "--min-groups",
            "5",
            "--max-per-group",
            "2",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Lisbon" in result.output and "Porto" not in result.output
    assert "6 of 8 proposals chosen" in result.output
    shortlist = db.session.query(Shortlist).one()
    assert shortlist.state == ShortlistState.COMPILED and shortlist.compiled_by_id == admin.id


def test_compile_shortlist_command_names_the_rule_it_cannot_meet(app, admin, scored):
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["compile-shortlist", scored.call.slug, "--size", "3", "--min-score", "99"]
    )
    assert result.exit_code == 1
    assert "cannot compile: Only 1 proposal can be chosen" in result.output


def test_compile_shortlist_command_refuses_an_unknown_call(app, admin):
    result = app.test_cli_runner().invoke(args=["compile-shortlist", "no-such-call"])
    assert result.exit_code != 0 and "no call with the slug" in result.output


def test_export_call_command_writes_the_file(app, scored, tmp_path):
    output = tmp_path / "reviews.csv"
    result = app.test_cli_runner().invoke(
        args=["export-call", scored.call.slug, "--format", "csv", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith("\ufeffRank,".encode())
    assert len(output.read_text(encoding="utf-8-sig").splitlines()) == 1 + len(scored.reviews)
