"""The bundled sample county: deterministic, committed as generated, truthful about who is who."""

import csv
import datetime as dt
import importlib.util
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_workbooks"
GENERATOR = SAMPLE_DIR / "generate.py"
NOT_DATA = {"generate.py", "README.md", ".gitattributes"}


def _load_generator():
    """As the benchmarks do: by path, without registering the module anywhere."""
    spec = importlib.util.spec_from_file_location("sample_county_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def default_county(generator, tmp_path_factory):
    out = tmp_path_factory.mktemp("default_county")
    return generator.generate(out)


def _data_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and p.name not in NOT_DATA and "__pycache__" not in p.parts}


def _sheet_contents(path: Path) -> list[tuple]:
    """Every cell's value and number format: what a reader sees, whatever zip or XML library wrote it."""
    book = load_workbook(path, read_only=True)
    try:
        return [tuple((c.value, getattr(c, "number_format", None)) for c in row)
                for sheet in book.worksheets for row in sheet.iter_rows()]
    finally:
        book.close()


def _table(path: Path) -> list[list]:
    """The rows of an export as its agency wrote it (encoding and delimiter per file)."""
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        try:
            rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
        width = max(map(len, rows))
        return [row + [None] * (width - len(row)) for row in rows]  # read-only mode drops empty rows' cells
    encoding = "cp1252" if path.name == "ed_county_general.csv" else "utf-8-sig"
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter="|" if path.suffix == ".txt" else ","))


def _column(rows: list[list], name: str) -> list:
    """Values under the first header row naming `name`, skipping blank rows, repeated headers and totals."""
    header_at = next(i for i, row in enumerate(rows) if name in row)
    col = rows[header_at].index(name)
    values = []
    for row in rows[header_at + 1:]:
        value = row[col] if col < len(row) else None
        if value in (None, "", name) or str(value).startswith("Total"):
            continue
        values.append(value)
    return values


def _truth(folder: Path) -> list[dict]:
    with (folder / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _people(folder: Path) -> dict[str, dict]:
    with (folder / "truth_people.csv").open(encoding="utf-8", newline="") as handle:
        return {row["true_person_id"]: row for row in csv.DictReader(handle)}


# ------------------------------------------------------------------------------------------- determinism
def test_same_seed_writes_the_same_bytes(generator, default_county, tmp_path):
    again = generator.generate(tmp_path)
    assert again.files() == default_county.files()
    for name in default_county.files():
        assert (tmp_path / name).read_bytes() == (default_county.out_dir / name).read_bytes(), name


def test_a_different_seed_makes_a_different_county(generator, tmp_path):
    one = generator.generate(tmp_path / "one", people=200, seed=1)
    two = generator.generate(tmp_path / "two", people=200, seed=2)
    assert one.files() == two.files()
    assert (one.out_dir / "truth.csv").read_bytes() != (two.out_dir / "truth.csv").read_bytes()
    assert (one.out_dir / "cad_calls.txt").read_bytes() != (two.out_dir / "cad_calls.txt").read_bytes()


def test_the_script_writes_a_small_county(generator, tmp_path, capsys):
    assert generator.main(["--out", str(tmp_path), "--people", "60", "--seed", "7"]) == 0
    assert "rows in all" in capsys.readouterr().out
    assert {"truth.csv", "jail_bookings.xlsx", "hmis/Client.csv"} <= _data_files(tmp_path)


def test_committed_files_are_what_the_generator_makes(default_county):
    made = default_county.out_dir
    assert _data_files(SAMPLE_DIR) == set(default_county.files()), "regenerate: see sample_workbooks/README.md"
    for name in default_county.files():
        if name.endswith(".xlsx"):
            assert _sheet_contents(SAMPLE_DIR / name) == _sheet_contents(made / name), name
        else:
            assert (SAMPLE_DIR / name).read_bytes() == (made / name).read_bytes(), name


def test_committed_county_is_small(default_county):
    assert 1200 <= default_county.people <= 2000
    assert default_county.total_rows >= 3000
    sizes = {name: (SAMPLE_DIR / name).stat().st_size for name in default_county.files()}
    assert max(sizes.values()) < 1_000_000, sizes
    assert sum(sizes.values()) < 4_000_000


# ------------------------------------------------------------------------------------------------ truth
def test_every_truth_row_names_a_row_of_an_existing_file():
    truth = _truth(SAMPLE_DIR)
    by_file = defaultdict(list)
    for row in truth:
        by_file[row["file"], row["key_column"]].append(row["source_key"])
    for (name, key_column), keys in by_file.items():
        path = SAMPLE_DIR / name
        assert path.is_file(), name
        in_file = [str(v) for v in _column(_table(path), key_column)]
        assert sorted(in_file) == sorted(keys), f"{name}: every record row, and only those, is in truth.csv"


def test_truth_keys_are_unique_per_source():
    seen = Counter((row["source"], row["source_key"]) for row in _truth(SAMPLE_DIR))
    assert [key for key, n in seen.items() if n > 1] == []
    assert {source for source, _ in seen} == {"jail", "police", "ems", "ed", "bh", "shelter", "court", "probation"}


def test_test_records_and_deleted_rows_are_marked():
    truth = _truth(SAMPLE_DIR)
    kinds = Counter((row["source"], row["kind"]) for row in truth)
    for source in ("jail", "ems", "ed", "bh"):
        assert kinds[source, "test"] >= 1, source
    assert all(row["true_person_id"] == "" for row in truth if row["kind"] == "test")
    assert all(row["true_person_id"] for row in truth if row["kind"] != "test")
    enrollments = _table(SAMPLE_DIR / "hmis" / "Enrollment.csv")
    header = enrollments[0]
    deleted = {r[0] for r in enrollments[1:] if r[header.index("DateDeleted")]}
    assert deleted == {row["source_key"] for row in truth if row["kind"] == "deleted"} != set()
    assert kinds["shelter", "victim_service_provider"] >= 1


# ------------------------------------------------------------------------------------------- look-alikes
def test_lookalike_groups_of_each_kind_meet_in_more_than_one_source():
    truth = [row for row in _truth(SAMPLE_DIR) if row["lookalike_group"]]
    members, sources, kinds = defaultdict(set), defaultdict(Counter), {}
    for row in truth:
        group = row["lookalike_group"]
        members[group].add(row["true_person_id"])
        sources[group][row["source"], row["true_person_id"]] += 1
        kinds[group] = row["lookalike_kind"]
    for kind in ("twin", "jr_sr", "namesake"):
        groups = [g for g, k in kinds.items() if k == kind]
        assert len(groups) >= 5, kind
        for group in groups:
            assert len(members[group]) >= 2, group
            in_source = defaultdict(set)
            for source, person in sources[group]:
                in_source[source].add(person)
            assert len(in_source) >= 2, group
            assert any(len(people) >= 2 for people in in_source.values()), f"{group} never side by side"


def test_lookalikes_look_alike():
    groups = defaultdict(list)
    for person in _people(SAMPLE_DIR).values():
        if person["lookalike_group"]:
            groups[person["lookalike_kind"], person["lookalike_group"]].append(person)
    for (kind, group), people in groups.items():
        dobs = [dt.date.fromisoformat(p["dob"]) for p in people]
        assert len({p["last_name"] for p in people}) == 1, group
        if kind == "twin":
            a, b = people
            assert dobs[0] == dobs[1] and a["first_name"] != b["first_name"], group
            if a["ssn"] and b["ssn"]:
                assert sum(x != y for x, y in zip(a["ssn"], b["ssn"])) <= 2, group
        elif kind == "jr_sr":
            assert len({p["first_name"] for p in people}) == 1, group
            assert {p["name_suffix"] for p in people} == {"Jr", "Sr"}, group
            assert 20 * 365 <= abs((dobs[0] - dobs[1]).days) <= 36 * 365, group
        else:
            assert len({p["first_name"] for p in people}) == 1, group
            assert len({d.year for d in dobs}) == 1 and len(set(dobs)) == len(dobs), group


# ------------------------------------------------------------------------------------------------ noise
def test_noise_rates_measured_are_near_the_header_constants(generator, default_county):
    for tag, rate in generator.NOISE_RATES.items():
        eligible = default_county.noise_eligible.get(tag, 0)
        applied = default_county.noise_applied.get(tag, 0)
        assert eligible >= 100, f"{tag}: too few chances to measure"
        tolerance = 4 * math.sqrt(rate * (1 - rate) / eligible) + 0.002
        assert abs(applied / eligible - rate) <= tolerance, f"{tag}: {applied}/{eligible} vs {rate}"


def test_noise_in_truth_matches_the_court_file(generator):
    """The noise column tells the truth: court DOBs differ from the real one exactly as tagged."""
    people = _people(SAMPLE_DIR)
    truth = {row["source_key"]: row for row in _truth(SAMPLE_DIR) if row["source"] == "court"}
    rows = _table(SAMPLE_DIR / "court_cases.csv")
    header = rows[0]
    seen = Counter()
    for row in rows[1:]:
        if len(row) < len(header):
            continue  # blank line and the total
        record = dict(zip(header, row))
        tags = set(truth[record["Case Number"]]["noise"].split(";")) - {""}
        true_dob = dt.date.fromisoformat(people[truth[record["Case Number"]]["true_person_id"]]["dob"])
        shown = record["DOB"]
        dob_tags = {t for t in tags if t.startswith("dob_")}
        seen.update(dob_tags or {"clean"})
        if not dob_tags:
            assert shown == true_dob.strftime("%Y%m%d")
        elif dob_tags == {"dob_missing"}:
            assert shown == ""
        elif dob_tags == {"dob_placeholder"}:
            assert shown == "19000101"
        elif dob_tags == {"dob_day_month_swap"}:
            assert shown == true_dob.replace(month=true_dob.day, day=true_dob.month).strftime("%Y%m%d")
        elif dob_tags == {"dob_year_off"}:
            assert abs(int(shown[:4]) - true_dob.year) == 1 and shown[4:6] == f"{true_dob.month:02d}"
        else:
            assert dob_tags == {"dob_digit_typo"} and shown != true_dob.strftime("%Y%m%d")
    assert seen["clean"] > 0.8 * sum(seen.values())


def test_hmis_quality_codes_agree_with_the_values():
    rows = _table(SAMPLE_DIR / "hmis" / "Client.csv")
    header = rows[0]
    qualities = Counter()
    for row in rows[1:]:
        client = dict(zip(header, row))
        ssn, ssn_quality = client["SSN"], client["SSNDataQuality"]
        qualities["ssn", ssn_quality] += 1
        if ssn_quality == "1":
            assert ssn.isdigit() and len(ssn) == 9
        elif ssn_quality == "2":
            assert len(ssn) == 9 and ssn.startswith("xxxxx") and ssn[5:].isdigit()
        else:
            assert ssn_quality in {"8", "9", "99"} and ssn == ""
        dob, dob_quality = client["DOB"], client["DOBDataQuality"]
        assert (dob == "") == (dob_quality in {"8", "9", "99"})
        if dob_quality == "2":
            assert dob.endswith("-01-01")
        if client["NameDataQuality"] == "2":
            assert client["LastName"] == ""
    assert qualities["ssn", "2"] > 0 and qualities["ssn", "1"] > 0
    export = _table(SAMPLE_DIR / "hmis" / "Export.csv")
    assert dict(zip(export[0], export[1]))["CSVVersion"] == "2024 v1.3"


# ----------------------------------------------------------------------------------------------- shapes
def test_jail_report_has_titles_page_breaks_and_a_total():
    rows = _table(SAMPLE_DIR / "jail_bookings.xlsx")
    assert "Sheriff's Office" in rows[0][0] and rows[1][0].startswith("Run date:")
    headers = [i for i, row in enumerate(rows) if row[1] == "Booking No"]
    assert len(headers) >= 2 and all(not any(rows[i - 1]) for i in headers)  # a blank row before each
    bookings = _column(rows, "Booking No")
    assert rows[-1][0] == f"Total bookings: {len(bookings)}"
    first = rows[headers[0] + 1]
    assert isinstance(first[7], dt.datetime)  # booking date-time: a real Excel date
    names = [row[2] for row in rows if row[1] not in (None, "Booking No")]
    assert any(" JR," in n or n.endswith(" JR") for n in names)


def test_county_general_is_windows_1252_and_keeps_its_accents():
    raw = (SAMPLE_DIR / "ed_county_general.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "Ñ" in raw.decode("cp1252") or "É" in raw.decode("cp1252")


def test_ems_uses_nemsis_not_values():
    rows = _table(SAMPLE_DIR / "ems_nemsis.csv")
    assert rows[0][:2] == ["eRecord.01", "eResponse.03"]
    cells = Counter(cell for row in rows[1:] for cell in row)
    assert cells["7701003"] > 0 and cells["8801019"] > 0
