"""HMAC mode: agencies that send only keyed hashes of identifiers still link, on a real store with real files."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ddj_desktop import demo
from ddj_desktop.errors import DdjError
from ddj_desktop.linkage import blocking, compare, hashed
from ddj_desktop.linkage.cluster import cluster
from ddj_desktop.linkage.frame import build_frame
from ddj_desktop.store.models import Record, Source
from ddj_desktop.workspace import Workspace

from .helpers import row

SAMPLES = Path(__file__).resolve().parents[2] / "sample_workbooks"
KEY = hashed.new_key()


def _tokens(rows, key: str = KEY) -> dict[int, dict[str, str]]:
    h = hashed.Hasher(hashed.parse_key(key))
    return {r.id: h.tokens(first_name=r.first_name, middle_name=r.middle_name, last_name=r.last_name, dob=r.dob,
                           ssn=r.ssn, ssn_last4=r.ssn_last4, address=r.address, agency_person_id=r.agency_person_id)
            for r in rows}


def _levels(a, b) -> dict[str, str]:
    rows = [a, b]
    frame = build_frame(rows, tokens=_tokens(rows))
    assert frame.hashed and frame.profiles == 2
    found = compare.compare_pairs(frame, np.array([0]), np.array([1]))
    return {c.name: (c.levels[found[c.name][0]] if found[c.name][0] >= 0 else "null") for c in compare.COMPARISONS}


def test_tokens_are_keyed_and_carry_no_plain_value():
    a = hashed.Hasher(hashed.parse_key(KEY)).tokens(first_name="MARIA", last_name="LOPEZ", dob="1990-04-02",
                                                    ssn="123456780")
    b = hashed.Hasher(hashed.parse_key(hashed.new_key())).tokens(first_name="MARIA", last_name="LOPEZ",
                                                                 dob="1990-04-02", ssn="123456780")
    assert a["first_name"] != b["first_name"] and a["ssn"] != b["ssn"], "another key, other tokens"
    # Every token is a keyed hash and nothing else: no value, no part of one, no structure that tells them. (A
    # search for '6780' in the hex text finds one by chance in about one key of fifty: that proves nothing.)
    tokens = " ".join(a.values()).split()
    assert len(tokens) > 20 and all(re.fullmatch(f"[0-9a-f]{{{hashed.TOKEN_HEX}}}", t) for t in tokens)
    assert not set(tokens) & {"MARIA", "LOPEZ", "1990-04-02", "123456780", "6780"}
    with pytest.raises(DdjError, match="not a linkage key"):
        hashed.parse_key("not a key")


def test_fuzzy_levels_survive_hashing_as_token_equalities():
    found = _levels(row(first_name="MARIA", last_name="LOPEZ", dob="1990-04-02", ssn="123456780"),
                    row(first_name="LOPEZ", last_name="MARIA", dob="1990-02-04", ssn="123456708"))
    assert found["last_name"] == "first and last name swapped" and found["first_name"] == "null"
    assert found["dob"] == "day and month swapped"
    assert found["ssn"] == "two adjacent digits swapped"
    found = _levels(row(first_name="JOSE", last_name="GARCIA-LOPEZ", dob="1990-04-02", ssn="123456780"),
                    row(first_name="JOSE", last_name="GARCIA", dob="1990-04-12", ssn="123456781"))
    assert found["first_name"] == "exact" and found["last_name"] == "one part of a double or hyphenated surname"
    assert found["dob"] == "one digit differs"
    assert found["ssn"] == "one digit differs (siblings, e.g. twins)", "still evidence of siblings"
    found = _levels(row(first_name="KATHRYN", last_name="SMITH", dob="1990-04-02"),
                    row(first_name="KATHRIN", last_name="SMYTH", dob="1991-04-02"))
    assert found["first_name"].startswith("close spelling"), "same Soundex and first four letters"
    assert found["last_name"].startswith("similar"), "same Soundex"
    assert found["dob"] == "one year apart, same day and month"
    found = _levels(row(address="12 ELM ST APT 4", zip="80521"), row(address="12 ELM ST", zip="80521"))
    assert found["address"] == "one holds the other's words (a street, unit or locality left off)"
    found = _levels(row(address="8 COCKCROFT AVE ALLUNGA"), row(address="8 ALLUNGA COCKCROFT AVE"))
    assert found["address"].startswith("close"), "the same words in another order"
    assert _levels(row(address="12 ELM ST"), row(address="901 MAIN AVE"))["address"] == "different"
    found = _levels(row(address="1 PERRY DRIVE SHIRE CLERK GREENWOOD"), row(address="3 GUNDULU PLACE SHIRE CLERK"))
    assert found["address"].startswith("some words in common"), "two words of six, as tokens"
    found = _levels(row(first_name="BILL", last_name="SMITH"), row(first_name="WILLIAM", last_name="SMITH"))
    assert found["first_name"] == "nickname (e.g. BILL / WILLIAM)", "the nickname table, as tokens"


def test_hashed_addresses_still_meet_on_their_start_or_end():
    rows = [row(first_name="MEG", last_name="HERBERT", address="162 CALLISTER CRESCENT VILLA 2", zip="30780"),
            row(first_name="MEGAN", last_name="HEBERT", address="01 CALLISTERCRESCENT VILLA 2", zip="37080"),
            row(first_name="ANA", last_name="RUIZ", address="9 ELM ST", zip="99999")]
    found = blocking.candidate_pairs(build_frame(rows, tokens=_tokens(rows)))
    assert set(zip(found.left.tolist(), found.right.tolist())) == {(0, 1)}
    assert found.per_rule["address_end"] == 1, "a slip at the start: the end's token still agrees"


def test_hashed_clustering_still_refuses_father_and_son_but_not_a_dob_typo():
    rows = [row(first_name="JOHN", last_name="MILLER", dob="1960-05-01"),
            row(first_name="JOHN", last_name="MILLER", dob="1988-11-23"),  # the son
            row(first_name="JOHN", last_name="MILLER", dob="1960-05-07")]  # a slip in the father's day
    frame = build_frame(rows, tokens=_tokens(rows))
    labels = cluster(frame, np.array([0, 0]), np.array([1, 2]), np.array([30.0, 20.0])).labels
    assert labels[0] == labels[2] != labels[1]


def _import_hashed(ws, source: str, path: Path) -> int:
    summary = ws.import_files([path], source)
    return sum(s.imported for s in summary)


@pytest.fixture(scope="module")
def hashed_county(tmp_path_factory):
    """The committed sample county with every source but the jail sent as keyed hashes only: each is imported
    plain into a scratch store, exported hashed (as the agency's copy of DDJ Desktop would), and imported into
    the county's store beside the plain jail records."""
    folder = tmp_path_factory.mktemp("hmac")
    (folder / "plain").mkdir()
    plain = demo.build_sample_county(folder / "plain")
    sources = [s for s, _ in demo.sample_files()]
    with plain.workspace.store.reading() as session:
        plain_persons = {(s, k): p for s, k, p in session.execute(
            select(Source.name, Record.source_key, Record.person_id).join(Source, Source.id == Record.source_id))}
    exports = {}
    for source in sources:
        if source != "jail":
            exports[source] = folder / f"{source}_hashed.csv"
            plain.workspace.export_hashed(source, exports[source], key_text=KEY)
    plain.workspace.close()

    county = Workspace.create(folder / "county.ddj", "county pass phrase", admin_name="ana")
    county.set_linkage_key(KEY)
    for source, files in demo.sample_files():
        if source == "jail":
            county.import_files(files, source)
    for source, path in exports.items():  # one hashed file per source (the two ED files are one source)
        assert _import_hashed(county, source, path) > 0
    summary = county.link()
    with county.store.reading() as session:
        found = {(s, k): p for s, k, p in session.execute(
            select(Source.name, Record.source_key, Record.person_id).join(Source, Source.id == Record.source_id))}
        plain_names = session.scalar(select(Record.first_name).where(Record.source_id != 1,
                                                                     Record.first_name.is_not(None)).limit(1))
    with (SAMPLES / "truth.csv").open(encoding="utf-8") as f:
        truth = {(r["source"], r["source_key"]): r["true_person_id"] for r in csv.DictReader(f) if r["kind"] == "person"}
    yield county, summary, found, plain_persons, truth, exports, plain_names
    county.close()


def _pairwise(found: dict, truth: dict) -> tuple[float, float, float]:
    def pairs(labels) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(labels).values())

    keys = [k for k in truth if k in found]
    predicted, true = pairs(found[k] for k in keys), pairs(truth[k] for k in keys)
    both = pairs((found[k], truth[k]) for k in keys)
    p, r = both / predicted, both / true
    return p, r, 2 * p * r / (p + r)


def test_hashed_exports_hold_no_plain_identifier(hashed_county):
    _county, _summary, _found, _plain, _truth, exports, plain_names = hashed_county
    assert plain_names is None, "hashed sources have no plain name in the store"
    with exports["ems"].open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert "hmac_first_name" in header and not {"First Name", "DOB", "SSN"} & set(header)


def test_hashed_agencies_link_with_the_county_and_nearly_as_the_plain_run_does(hashed_county):
    _county, summary, found, plain, truth, _exports, _names = hashed_county
    assert set(found) == set(truth)
    p, r, f1 = _pairwise(found, truth)
    # Floors, not the figures (bench/linkage_quality.py --hmac prints those): exact tokens lose some fuzzy recall.
    assert f1 >= 0.95 and p >= 0.97, f"precision {p:.4f} recall {r:.4f} F1 {f1:.4f}"
    _p, _r, agreement = _pairwise(found, plain)
    assert agreement >= 0.95, f"HMAC mode links as plain mode does (F1 {agreement:.4f} against plain)"
    jail_persons = {found[k] for k in found if k[0] == "jail"}
    assert sum(found[k] in jail_persons for k in found if k[0] != "jail") > 100, "hashed records join jail persons"
    assert summary.review_pairs < 0.02 * len(found)


def test_explanations_of_hashed_pairs_show_levels_not_values(hashed_county):
    county, _summary, found, _plain, _truth, _exports, _names = hashed_county
    jail = [k for k in found if k[0] == "jail"]
    pair = next((j, k) for j in jail for k in found if k[0] != "jail" and found[k] == found[j])
    explanation = county.explain(*pair)
    assert explanation.same_person and explanation.probability >= 0.95
    names = {f.comparison: f for f in explanation.fields}
    assert names["date of birth"].value_b in ("(hashed)", "")
    assert names["last name"].value_a == names["last name"].value_b == "(hashed)"
    assert names["last name"].level != "missing on one side" and names["last name"].weight != 0
    person = county.explain_person(found[pair[0]])
    assert person.links, "why the person's records are together"


def test_hmac_mode_without_a_key_says_what_to_do(tmp_path, hashed_county):
    exports = hashed_county[5]
    ws = Workspace.create(tmp_path / "s.ddj", "county pass phrase", admin_name="ana")
    try:
        assert _import_hashed(ws, "ems", exports["ems"]) > 0
        with pytest.raises(DdjError, match="no linkage key") as caught:
            ws.link()
        assert "hmac-key load" in str(caught.value)
    finally:
        ws.close()


def test_cli_makes_a_key_exports_a_source_hashed_and_loads_the_key(tmp_path, capsys, cli_env):
    from ddj_desktop.cli import run

    keyfile = tmp_path / "county.key"
    assert run(["hmac-key", "new", str(keyfile)]) == 0
    assert run(["hmac-key", "new", str(keyfile)]) != 0, "a key is never overwritten"
    store = tmp_path / "ems.ddj"
    assert run(["init", str(store)]) == 0
    (tmp_path / "ems.csv").write_text("Incident Number,First Name,Last Name,DOB\nE-1,Ana,Lopez,04/12/1988\n",
                                      encoding="utf-8")
    assert run(["import", str(store), str(tmp_path / "ems.csv"), "--source", "ems"]) == 0
    out = tmp_path / "ems_hashed.csv"
    assert run(["export", "hashed", str(store), "ems", "--out", str(out), "--key", str(keyfile)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "E-1" in text and "LOPEZ" not in text.upper() and "1988" not in text
    token = hashed.Hasher(hashed.parse_key(keyfile.read_text())).token("name", "LOPEZ")
    assert token in text, "the tokens are those of the county's key"
    assert run(["hmac-key", "load", str(store), str(keyfile)]) == 0
    assert "linkage key is kept" in capsys.readouterr().out
