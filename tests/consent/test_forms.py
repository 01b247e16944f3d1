"""Filled ROI forms: every field and required statement reads back from the PDF; names keep their accents."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from ddj_desktop.consent import templates
from ddj_desktop.consent.register import ConsentError
from ddj_desktop.paths import data_dir
from ddj_desktop.workspace import Workspace


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _text(path: Path) -> str:
    return _squash("".join(page.extract_text() for page in PdfReader(path).pages))


def _fields(path: Path) -> dict[str, object]:
    return {name: f.get("/V") for name, f in (PdfReader(path).get_fields() or {}).items()}


@pytest.mark.parametrize("name", ["multiparty-en", "multiparty-es"])
def test_form_reads_back_every_field_and_statement(county: Workspace, maria: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / "roi.pdf"
    [printed] = county.roi_forms([maria], out=out, template=name)
    template = templates.load_template(name)
    settings = county.county_settings().in_language(template.language)
    fields = _fields(out)
    assert fields["form_number"] == printed.number
    assert fields["template"] == name and fields["template_version"] == template.version
    assert fields["county"] == ("Juniper County" if name.endswith("en") else "Condado de Juniper")
    assert fields["client_name"] == "María José Núñez"
    assert fields["client_aliases"] == "Mari Núñez"
    assert fields["client_dob"] == "1980-04-02" and fields["person_id"] == maria
    expected = {"signature", "signature_date", "representative_name", "representative_authority", "interpreter",
                "copy_given", "copy_given_date", "expires_on", "expiry_event", "purpose_other", "received_by",
                "received_date"}
    keys = [p.key for p in settings.parties]
    grid = {f"share_{a}_to_{b}" for a in keys for b in keys if a != b}  # every disclosing x receiving box but a x a
    assert grid <= set(fields) and not {f"share_{a}_to_{a}" for a in keys} & set(fields)
    assert len(grid) == len(keys) * (len(keys) - 1) == 56
    expected |= {f"category_{c.key}{s}" for c in template.categories for s in ("", "_from", "_to")}
    expected |= {f"purpose_{p.key}" for p in template.purposes}
    assert expected <= set(fields)
    text = _text(out)
    values = settings.placeholders()
    for key in ("intro", "parties", "categories", "psychotherapy_notes", "purpose", "expiration", "revocation",
                "conditioning", "redisclosure", "part2", "part2_redisclosure", "copy", "representative",
                "state_addendum"):
        assert _squash(template.statements[key].format(**values)) in text, key
    for label in (template.title, settings.county, printed.number, "MaríaJoséNúñez", "MariNúñez",
                  *(p.name for p in settings.parties), *(p.heading for p in settings.parties),
                  *(c.label for c in template.categories), template.label("may_disclose"), template.label("may_receive"),
                  *(template.label(k) for k in ("signature", "signature_date", "representative_name",
                                                "representative_authority", "interpreter", "copy_given"))):
        assert _squash(label) in text, label
    assert _squash("April 2, 1980" if name.endswith("en") else "2 de abril de 1980") in text
    # the state's maximum (the sample county: 24 months for every consent) is printed in the form's language
    assert _squash("ends no later than 24 months" if name.endswith("en") else "a más tardar 24 meses") in text
    if name.endswith("es"):  # the agencies, the program and where to revoke, in Spanish
        for words in ("Oficina del Sheriff del Condado de Juniper — Cárcel", "Policía y 911",
                      "programa de Justicia Basada en Datos", "Coordinación DDJ, Servicios Humanos"):
            assert _squash(words) in text, words
        assert _squash("Juniper County Sheriff's Office") not in text


def test_accents_render_for_every_name(county: Workspace, tmp_path: Path) -> None:
    durkova = next(r.person for r in county.find_records("durkova"))
    out = tmp_path / "roi.pdf"
    county.roi_forms([durkova], out=out)
    assert "ZuzanaĎurková" in _text(out)
    assert _fields(out)["client_name"] == "Zuzana Ďurková"


def test_batch_one_file_each_or_one_combined(county: Workspace, maria: str, tmp_path: Path) -> None:
    durkova = next(r.person for r in county.find_records("durkova"))
    each = county.roi_forms([maria, durkova], out_dir=tmp_path)
    assert [p.file.name for p in each] == [f"{maria}_{each[0].number}.pdf", f"{durkova}_{each[1].number}.pdf"]
    assert each[0].number != each[1].number
    combined = tmp_path / "all.pdf"
    forms = county.roi_forms([maria, durkova], out=combined)
    fields = _fields(combined)
    assert fields[f"{maria}_client_name"] == "María José Núñez"
    assert fields[f"{durkova}_client_name"] == "Zuzana Ďurková"
    assert f"{durkova}_signature" in fields
    reader = PdfReader(combined)
    single = len(PdfReader(each[0].file).pages)
    assert len(reader.pages) == 2 * single
    assert forms[1].number in reader.pages[single].extract_text()  # the second form starts on a new page
    entries = county.audit_entries(2)
    assert entries[0]["action"] == "roi_forms" and forms[1].number in entries[0]["details"]


def test_forms_need_the_county_settings(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "jail.csv"
    path.write_text("Booking Number,Last Name,First Name,DOB\nB1,Lee,Ann,1990-01-01\n", encoding="utf-8")
    workspace.import_files([path], "jail")
    with pytest.raises(ConsentError, match="county settings"):
        workspace.roi_forms(["P000001"], out=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_first_page_renders(county: Workspace, maria: str, tmp_path: Path) -> None:
    out = tmp_path / "roi.pdf"
    county.roi_forms([maria], out=out)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")],
                   check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 20_000  # a drawn page, not a blank one


def _variant(tmp_path: Path, name: str, edit) -> str:  # type: ignore[no-untyped-def]
    text = (data_dir("forms") / "multiparty-en.toml").read_text(encoding="utf-8")
    path = tmp_path / f"{name}.toml"
    path.write_text(edit(text), encoding="utf-8")
    return str(path)


def test_part2_statements_only_when_part2_and_tpo_statements_only_in_tpo_mode(
    county: Workspace, maria: str, tmp_path: Path
) -> None:
    base = templates.load_template("multiparty-en")

    def no_part2(text: str) -> str:
        text = text.replace("part2 = true ", "part2 = false")
        return text.replace('label = "Substance use disorder treatment: dates, type of service, program, medications"'
                            "\npart2 = true", 'label = "Substance use disorder treatment (not Part 2 records)"')

    plain = _variant(tmp_path, "plain", no_part2)
    county.roi_forms([maria], out=tmp_path / "plain.pdf", template=plain)
    text = _text(tmp_path / "plain.pdf")
    assert _squash(base.statements["redisclosure"]) in text
    assert _squash(base.statements["part2_redisclosure"]) not in text and "42CFRPart2]" not in text

    def tpo(text: str) -> str:
        text = text.replace("tpo = false", "tpo = true")
        return text.replace("[statements]\n", '[statements]\ntpo_refusal = "If you refuse, your providers will not '
                            'see these records."\ntpo_redisclosure = "Your providers may share them again under HIPAA, '
                            'except in proceedings against you."\n', 1)

    county.roi_forms([maria], out=tmp_path / "tpo.pdf", template=_variant(tmp_path, "tpo", tpo))
    text = _text(tmp_path / "tpo.pdf")
    assert _squash("If you refuse, your providers will not see these records.") in text
    assert _squash("Your providers may share them again under HIPAA, except in proceedings against you.") in text
    assert _squash(base.statements["part2_redisclosure"]) in text
