"""The consent register: status over the days, revocation, and disclosures only under an active consent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from ddj_desktop.consent import templates
from ddj_desktop.consent.register import ConsentError
from ddj_desktop.errors import DdjError
from ddj_desktop.workspace import Workspace

SIGNED = dt.date(2025, 3, 1)


def _record(ws: Workspace, person: str, **overrides):  # type: ignore[no-untyped-def]
    details = dict(
        form=None, template="multiparty-en", disclosing=["sheriff", "bh", "coc"], receiving=["ddj"],
        categories=["jail", "mental_health", "sud_part2", "hmis"], purposes=["care_coordination"],
        signed_on=SIGNED.isoformat(), expires_on="2025-12-31", expiry_event=None, representative=None,
        representative_authority=None, artifact=None, note=None,
    )
    details.update(overrides)
    return ws.record_consent(person, today=SIGNED, **details)


def _status(ws: Workspace, day: str) -> str:
    [c] = ws.consents(on=day)
    return c.status


def test_status_over_the_days(county: Workspace, maria: str) -> None:
    consent = _record(county, maria)
    assert consent.template_version == templates.load_template("multiparty-en").version and consent.part2
    assert _status(county, "2025-03-01") == "active"
    assert _status(county, "2025-12-01") == "expiring"  # 30 days to go
    assert _status(county, "2025-11-30") == "active"  # 31 days to go
    assert _status(county, "2025-12-31") == "expiring"  # the last day it holds
    assert _status(county, "2026-01-01") == "expired"
    assert [c.id for c in county.consents(on="2025-12-15", expiring_only=True)] == [consent.id]
    assert county.consents(on="2025-06-01", expiring_only=True) == []
    county.revoke_consent(consent.id, on="2025-06-10", method="letter", today=dt.date(2025, 6, 12))
    assert _status(county, "2025-06-09") == "active"
    assert _status(county, "2025-06-10") == "revoked"
    [c] = county.consents(maria, on="2025-07-01")
    assert (c.revoked_on, c.revocation_method) == ("2025-06-10", "letter")


def test_without_an_end_date_the_form_lasts_a_year(county: Workspace, maria: str) -> None:
    year = _record(county, maria, expires_on=None)
    assert year.expires_on == "2026-03-01" and "365 days after signing" in year.notes[0]
    # an end event only: it ends at the event, or at the (sample) state's maximum of 24 months, whichever is first
    event = _record(county, maria, expires_on=None, expiry_event="when I leave the program")
    assert (event.expires_on, event.expiry_event) == ("2027-03-01", "when I leave the program")
    assert "24 months" in event.notes[0]


# -- the grid: who may share with whom ---------------------------------------------------------------------------
def test_the_grid_allows_only_the_initialled_pairs(county: Workspace, maria: str, tmp_path: Path) -> None:
    consent = _record(county, maria, disclosing=None, receiving=None,
                      pairs=["sheriff:ddj", ("coc", "police"), "sheriff:coc"])
    assert consent.pairs == [("coc", "police"), ("sheriff", "coc"), ("sheriff", "ddj")]
    assert (consent.disclosing, consent.receiving) == (["coc", "sheriff"], ["coc", "ddj", "police"])
    assert _disclose(county, maria, tmp_path / "a.pdf", "2025-04-01", to="coc").records == 2  # sheriff -> coc
    # police may receive from coc (shelter records), but jail records come from the sheriff: not initialled
    with pytest.raises(ConsentError, match="does not let sheriff share with police"):
        _disclose(county, maria, tmp_path / "b.pdf", "2025-04-01", to="police")
    assert _disclose(county, maria, tmp_path / "c.pdf", "2025-04-01", to="police", cats=("hmis",)).records == 1
    with pytest.raises(ConsentError, match="does not let coc share with ddj"):
        _disclose(county, maria, tmp_path / "d.pdf", "2025-04-01", cats=("hmis",))
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "a.pdf").pages)
    assert "Juniper County Sheriff's Office — Jail → Juniper County Continuum of Care (HMIS)" in " ".join(text.split())


def test_without_pairs_every_disclosing_party_may_share_with_every_other_receiving_one(
    county: Workspace, maria: str
) -> None:
    consent = _record(county, maria, disclosing=["sheriff", "bh"], receiving=["bh", "ddj"])
    assert consent.pairs == [("bh", "ddj"), ("sheriff", "bh"), ("sheriff", "ddj")]  # not bh -> bh


@pytest.mark.parametrize(("pairs", "message"), [
    (["sheriff:sheriff"], "sheriff cannot share with itself"),
    (["sheriff:nobody"], "unknown receiving party nobody"),
    (["sheriff-ddj"], "not a pair of parties"),
])  # fmt: skip
def test_a_wrong_pair_is_refused(county: Workspace, maria: str, pairs: list[str], message: str) -> None:
    with pytest.raises(ConsentError, match=message):
        _record(county, maria, disclosing=None, receiving=None, pairs=pairs)


def test_a_consent_recorded_before_the_grid_keeps_allowing_what_it_allowed(
    county: Workspace, maria: str, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from ddj_desktop.store.models import Consent

    consent = _record(county, maria)
    with county.store.session() as session:  # as migration 0009 leaves a consent recorded before it
        session.execute(update(Consent).values(pairs=None))
    [old] = county.consents(on="2025-04-01")
    assert ("sheriff", "ddj") in old.pairs and ("bh", "ddj") in old.pairs
    assert _disclose(county, maria, tmp_path / "x.pdf", "2025-04-01").consent_id == consent.id
    with pytest.raises(ConsentError, match="does not name police"):
        _disclose(county, maria, tmp_path / "y.pdf", "2025-04-01", to="police")


# -- the state's maximum durations -------------------------------------------------------------------------------
def _limits(ws: Workspace, toml: str) -> None:
    from tests.consent.conftest import county_toml

    ws.set_county_settings(county_toml() + "\n" + toml)


CJ_90 = """[[max_duration]]
days = 90
categories = ["jail", "court_probation"]
reason = "State law: criminal-justice consents end after 90 days"
"""


def test_a_category_limit_refuses_a_later_end_date_and_caps_the_default(county: Workspace, maria: str) -> None:
    _limits(county, CJ_90)
    with pytest.raises(ConsentError) as refused:
        _record(county, maria)  # jail among the categories, ends 2025-12-31
    message = refused.value.message
    assert "after the state's maximum of 90 days (for jail, court_probation; State law" in message
    assert "ends on 2025-05-30 at the latest" in message
    assert county.consents() == []
    capped = _record(county, maria, expires_on=None)
    assert capped.expires_on == "2025-05-30" and "sooner than the form's 365 days" in capped.notes[0]
    assert _record(county, maria, expires_on="2025-05-30").expires_on == "2025-05-30"
    # without criminal-justice information the 90 days do not apply (the sample's 24 months do)
    assert _record(county, maria, categories=["hmis"]).expires_on == "2025-12-31"
    assert county.consent_limit("multiparty-en", ["hmis"], "2025-03-01")[0] == dt.date(2027, 3, 1)
    latest, why = county.consent_limit("multiparty-en", ["hmis", "jail"], "2025-03-01")
    assert latest == dt.date(2025, 5, 30) and why.startswith("90 days")


def test_a_template_limit_in_months(county: Workspace, maria: str) -> None:
    _limits(county, '[[max_duration]]\nmonths = 6\ntemplates = ["multiparty-es"]\n')
    assert _record(county, maria).expires_on == "2025-12-31"  # the English form: no limit but the sample's
    with pytest.raises(ConsentError, match="ends on 2025-09-01 at the latest"):
        _record(county, maria, template="multiparty-es")
    _limits(county, '[[max_duration]]\nmonths = 1\ntemplates = ["multiparty"]\n')  # by name: both languages
    with pytest.raises(ConsentError, match="1 months"):
        _record(county, maria)
    assert _record(county, maria, signed_on="2025-01-31", expires_on=None).expires_on == "2025-02-28"


def test_a_template_whose_default_outlasts_the_state_limit_prints_no_form(
    county: Workspace, maria: str, tmp_path: Path
) -> None:
    _limits(county, "[[max_duration]]\ndays = 180\n")
    with pytest.raises(DdjError, match="lasts 365 days, longer than the state's maximum of 180 days"):
        county.roi_forms([maria], out=tmp_path / "roi.pdf")
    assert not (tmp_path / "roi.pdf").exists()
    _limits(county, CJ_90)  # a limit for some categories: printed on the form instead
    county.roi_forms([maria], out=tmp_path / "roi.pdf")
    text = " ".join("".join(p.extract_text() for p in PdfReader(tmp_path / "roi.pdf").pages).split())
    assert "State limit: for Jail; Court, pretrial and probation, this authorization ends no later than 90 days" in text


@pytest.mark.parametrize(("toml", "message"), [
    ("[[max_duration]]\ndays = 90\nmonths = 3\n", "needs days or months"),
    ("[[max_duration]]\ndays = 0\n", "whole number above 0"),
    ("[[max_duration]]\ndays = 30\ncategories = [\"tattoos\"]\n", "unknown category tattoos"),
    ("[fr]\nprogramme = \"x\"\n", "unknown key\\(s\\) programme"),
])  # fmt: skip
def test_wrong_limits_or_translations_are_refused(county: Workspace, toml: str, message: str) -> None:
    from ddj_desktop.consent.settings import SettingsError

    with pytest.raises(SettingsError, match=message):
        _limits(county, toml)


@pytest.mark.parametrize(("change", "message"), [
    ({"receiving": ["nobody"]}, "unknown receiving party nobody"),
    ({"disclosing": []}, "no disclosing party"),
    ({"categories": ["tattoos"]}, "category tattoos is not on template"),
    ({"categories": ["jail:2025-01-01..2024-01-01"]}, "ends before it starts"),
    ({"purposes": []}, "no purpose"),
    ({"signed_on": "2025-03-02"}, "in the future"),
    ({"expires_on": "2025-02-01"}, "ends before it was signed"),
])  # fmt: skip
def test_inconsistent_consents_are_refused(county: Workspace, maria: str, change: dict, message: str) -> None:
    with pytest.raises(ConsentError, match=message):
        _record(county, maria, **change)
    assert county.consents() == []


def test_signed_form_links_to_its_printed_form_template_and_scan(county: Workspace, maria: str, tmp_path) -> None:
    [printed] = county.roi_forms([maria], out=tmp_path / "roi.pdf", template="multiparty-es")
    consent = _record(county, maria, form=printed.number, template=None, artifact=("scan.pdf", b"%PDF scan"))
    assert consent.form_number == printed.number and consent.template_id == "multiparty-es"
    assert consent.artifact_sha256 and len(consent.artifact_sha256) == 64
    other = next(r.person for r in county.find_records("durkova"))
    with pytest.raises(ConsentError, match="printed for another person"):
        _record(county, other, form=printed.number, template=None)


def _disclose(ws: Workspace, person: str, out: Path, day: str, to: str = "ddj", cats=("jail",)):  # type: ignore[no-untyped-def]
    return ws.disclose(person, to, list(cats), out, on=day)


def test_disclose_refused_without_consent_allowed_with_refused_after_revocation(
    county: Workspace, maria: str, tmp_path: Path
) -> None:
    out = tmp_path / "to-ddj.pdf"
    with pytest.raises(ConsentError, match="no consent is recorded"):
        _disclose(county, maria, out, "2025-04-01")
    assert not out.exists()
    consent = _record(county, maria)
    result = _disclose(county, maria, out, "2025-04-01")
    assert result.records == 2 and not result.part2 and out.exists()
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert "B1" in text and "B2" in text and "S1" not in text and "42 CFR 2.32" not in text
    with pytest.raises(ConsentError, match="does not name police"):
        _disclose(county, maria, tmp_path / "p.pdf", "2025-04-01", to="police")
    with pytest.raises(ConsentError, match="does not cover ems"):
        _disclose(county, maria, tmp_path / "e.pdf", "2025-04-01", cats=("ems",))
    county.revoke_consent(consent.id, on="2025-05-01", method="revocation form", today=dt.date(2025, 5, 2))
    with pytest.raises(ConsentError, match="was revoked on 2025-05-01"):
        _disclose(county, maria, tmp_path / "late.pdf", "2025-05-02")
    assert not (tmp_path / "late.pdf").exists()
    with pytest.raises(ConsentError, match="expired on 2025-12-31"):
        _record(county, maria, signed_on="2025-03-01")  # a second consent, also ending 2025-12-31
        _disclose(county, maria, tmp_path / "later.pdf", "2026-02-01")
    actions = [(e["action"], json.loads(e["details"])) for e in county.audit_entries()]
    done = [d for a, d in actions if a == "disclose"]
    assert len(done) == 1 and done[0]["consent"] == consent.id and done[0]["to"] == "ddj"
    assert done[0]["sha256"] == result.sha256
    refused = [d["reason"] for a, d in actions if a == "disclose_refused"]
    assert len(refused) == 5 and any("revoked" in r for r in refused)
    assert any(a == "consent_revoke" for a, _ in actions)
    assert county.verify_audit().ok


def test_part2_records_carry_the_notice_and_the_consent(county: Workspace, maria: str, tmp_path: Path) -> None:
    _record(county, maria)
    with pytest.raises(ConsentError, match="42 CFR Part 2 records"):
        _disclose(county, maria, tmp_path / "mh.pdf", "2025-04-01", cats=("mental_health",))
    out = tmp_path / "sud.pdf"
    result = _disclose(county, maria, out, "2025-04-01", cats=("mental_health", "sud_part2"))
    assert result.part2 and result.records == 1
    text = " ".join("".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "This record which has been disclosed to you is protected by Federal confidentiality rules" in text
    assert "Copy of the consent" in text and "ROI" not in text.split("Copy of the consent")[0][-5:]
    assert "multiparty-en" in text and "Juniper County Human Services — DDJ care coordination" in text


def test_part2_without_the_part2_category_in_the_consent_is_refused(county: Workspace, maria: str, tmp_path) -> None:
    _record(county, maria, categories=["jail", "mental_health"])
    with pytest.raises(ConsentError, match="does not cover sud_part2"):
        _disclose(county, maria, tmp_path / "x.pdf", "2025-04-01", cats=("mental_health", "sud_part2"))


def test_category_date_ranges_limit_what_is_sent(county: Workspace, maria: str, tmp_path: Path) -> None:
    _record(county, maria, categories=["jail:2024-03-01..2024-12-31"])
    result = _disclose(county, maria, tmp_path / "x.pdf", "2025-04-01")
    assert result.records == 1  # B2 (June 2024), not B1 (January 2024)
