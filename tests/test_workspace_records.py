"""The paged record queries behind the People page: search by name, date of birth, key or person number."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddj_desktop.errors import PermissionDenied
from ddj_desktop.workspace import Workspace

CSV = """Booking Number,Last Name,First Name,DOB,Booking Date
B1,Nunez,Maria,1980-04-02,2024-01-05
B2,Nunez,Mario,1975-01-01,2024-01-09
B3,Smith,John,1990-12-31,2024-02-01
B4,Smithers,Ann,1980-04-02,2024-03-01
"""


@pytest.fixture
def filled(workspace: Workspace, tmp_path: Path) -> Workspace:
    path = tmp_path / "bookings.csv"
    path.write_text(CSV, encoding="utf-8")
    workspace.import_files([path], "jail")
    return workspace


def test_name_prefixes_find_records(filled: Workspace) -> None:
    assert filled.count_records() == 4
    assert {r.source_key for r in filled.find_records("smith")} == {"B3", "B4"}
    assert [r.source_key for r in filled.find_records("nun mar", sort="first_name")] == ["B1", "B2"]
    assert filled.count_records("nunez, maria") == 1


def test_dob_key_and_person_number_find_records(filled: Workspace) -> None:
    assert {r.source_key for r in filled.find_records("4/2/1980")} == {"B1", "B4"}
    assert {r.source_key for r in filled.find_records("1980-04-02")} == {"B1", "B4"}
    b3 = filled.find_records("B3")[0]
    assert b3.source == "jail" and b3.person.startswith("P")
    assert [r.source_key for r in filled.find_records(b3.person)] == ["B3"]
    assert [r.source_key for r in filled.person_records(b3.person)] == ["B3"]


def test_pages_and_sorting(filled: Workspace) -> None:
    keys = [r.source_key for r in filled.find_records(sort="event_start", descending=True)]
    assert keys == ["B4", "B3", "B2", "B1"]
    assert [r.source_key for r in filled.find_records(sort="event_start", offset=1, limit=2)] == ["B2", "B3"]


def test_a_viewer_cannot_list_people(filled: Workspace) -> None:
    filled.set_password("admin password 1")
    filled.add_user("vic", "viewer", "viewer password 1")
    path = filled.path
    filled.close()
    viewer = Workspace.open(path, "blue heron at the old mill 42", user="vic", password="viewer password 1")
    with viewer as ws, pytest.raises(PermissionDenied):
        ws.find_records("smith")


@pytest.mark.parametrize("sort", ["person", "last_name", "dob", "event_start", "first_name"])
@pytest.mark.parametrize("descending", [False, True])
def test_paging_by_key_gives_the_same_rows_as_by_offset(filled: Workspace, tmp_path: Path, sort: str,
                                                         descending: bool) -> None:
    more = tmp_path / "more.csv"
    more.write_text("Booking Number,Last Name,First Name,DOB,Booking Date\n"
                    "B5,Nunez,Maria,,2024-04-01\nB6,,Ann,1980-04-02,\nB7,Nunez,Maria,,2024-04-02\n", encoding="utf-8")
    filled.import_files([more], "jail")
    everything = filled.find_records(sort=sort, descending=descending, limit=100)
    assert len(everything) == 7
    paged, after = [], None
    while True:
        page = filled.find_records(sort=sort, descending=descending, limit=2, after=after)
        if not page:
            break
        paged.extend(page)
        after = page[-1]
    assert [r.id for r in paged] == [r.id for r in everything]


def test_accents_and_case_do_not_matter_in_a_name_search(filled: Workspace) -> None:
    assert {r.source_key for r in filled.find_records("NÚÑEZ")} == {"B1", "B2"}


def test_similar_names_suggest_close_spellings(filled: Workspace) -> None:
    assert filled.similar_names("smiht") == ["SMITH", "SMITHERS"] or filled.similar_names("smiht")[0] == "SMITH"
    assert "NUNEZ" in filled.similar_names("nunes maria")
    assert filled.similar_names("12") == [] and filled.similar_names("") == []


def test_a_name_search_uses_the_last_name_index(filled: Workspace) -> None:
    from sqlalchemy import select, text

    from ddj_desktop.store.models import Record
    from ddj_desktop.workspace import _record_query

    with filled.store.reading() as session:
        for words in ("smith", "nun mar"):
            query = _record_query(select(Record.id), words)
            sql = str(query.compile(compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(r[-1]) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_record_last_name" in plan, plan
