"""Forms and disclosures under a county that lets only admins see 42 CFR Part 2 records: an analyst's form names
the person without what only the Part 2 record says, and an analyst's disclosure that would carry Part 2 records is
refused (and audited); the admin's goes through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from ddj_desktop.consent.register import ConsentError
from ddj_desktop.store.models import Record, Source
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.consent.conftest import county_toml
from tests.consent.test_register import _record


@pytest.fixture
def admins_only(county: Workspace, maria: str) -> Workspace:
    county.set_county_settings(county_toml().replace('part2_roles = ["admin", "analyst"]', 'part2_roles = ["admin"]'))
    assert county.county_settings().part2_roles == ("admin",)
    with county.store.session() as session:  # the treatment program knows her by another first name
        bh = session.query(Source.id).filter(Source.name == "bh").scalar_subquery()
        session.execute(update(Record).where(Record.source_id == bh).values(first_name="MARISOL"))
    county.set_password("admin password 1")
    county.add_user("alan", "analyst", "analyst password 1")
    _record(county, maria)
    return county


def _text(path: Path) -> str:
    return " ".join("".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_an_analysts_form_leaves_out_what_only_the_part2_record_says(admins_only: Workspace, maria: str,
                                                                      tmp_path: Path) -> None:
    admins_only.roi_forms([maria], out=tmp_path / "admin.pdf")
    assert "Marisol" in _text(tmp_path / "admin.pdf"), "the admin's form lists the name the program knows her by"
    with Workspace.open(admins_only.path, PASSPHRASE, user="alan", password="analyst password 1") as analyst:
        analyst.roi_forms([maria], out=tmp_path / "analyst.pdf")
    text = _text(tmp_path / "analyst.pdf")
    assert "Núñez" in text and "Marisol" not in text


def test_an_analysts_disclosure_with_part2_records_is_refused_and_the_admins_is_made(
    admins_only: Workspace, maria: str, tmp_path: Path
) -> None:
    with Workspace.open(admins_only.path, PASSPHRASE, user="alan", password="analyst password 1") as analyst:
        with pytest.raises(ConsentError, match="records of bh, 42 CFR Part 2 records that the county does not show"):
            analyst.disclose(maria, "ddj", ["mental_health", "sud_part2"], tmp_path / "sud.pdf", on="2025-04-01")
        assert not (tmp_path / "sud.pdf").exists()
        jail = analyst.disclose(maria, "ddj", ["jail"], tmp_path / "jail.pdf", on="2025-04-01")
        assert jail.records == 2 and "Marisol" not in _text(tmp_path / "jail.pdf")
    made = admins_only.disclose(maria, "ddj", ["mental_health", "sud_part2"], tmp_path / "admin.pdf", on="2025-04-01")
    assert made.part2 and made.records == 1
    entries = [(e["user"], e["action"], json.loads(e["details"])) for e in admins_only.audit_entries(4)]
    refused = [d for user, action, d in entries if user == "alan" and action == "disclose_refused"]
    assert refused and "42 CFR Part 2" in refused[0]["reason"]


def test_the_consents_that_cover_part2_records_are_not_listed_for_a_role_that_may_not_see_them(
    admins_only: Workspace, maria: str
) -> None:
    plain = _record(admins_only, maria, categories=["jail", "hmis"], disclosing=["sheriff", "coc"])
    assert not plain.part2
    assert {c.part2 for c in admins_only.consents(maria, on="2025-04-01")} == {True, False}
    with Workspace.open(admins_only.path, PASSPHRASE, user="alan", password="analyst password 1") as analyst:
        assert [c.id for c in analyst.consents(maria, on="2025-04-01")] == [plain.id]
