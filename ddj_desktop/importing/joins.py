"""Joins of known multi-file exports given together: HMIS Client + Enrollment (+ Exit ...), jail bookings + charges.

Some agency systems export one person's event across several files. When the analyst gives those files
together, `join_tables` puts each event back on one row, so the mapping step sees one table per kind of event:

- HMIS CSV: each enrollment row gets its client's identity columns (Client.csv, on PersonalID) and its exit
  (Exit.csv, on EnrollmentID); services get the client's identity too. Rows deleted in HMIS are skipped, and
  enrollments in victim-service-provider projects are refused (HUD forbids sharing their identifying data).
- Jail: each booking row gets `charge` (its most serious charge), `charge_level` (felony / misdemeanor /
  citation / other) and `charges` (all of them, joined with "; ") from the charges file.

Which tables belong together is told by their headers (the layouts in layouts/*.toml), not by file names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from ddj_desktop.errors import ImportFileError, MappingError
from ddj_desktop.importing.mapping import normalize_header, recognise_layout, resolve_column
from ddj_desktop.importing.model import Cell, SkippedRow, Table, TableRow

SKIP_DELETED_IN_HMIS = "deleted in HMIS"
SKIP_CLIENT_MISSING = "client not in the Client file"
SKIP_VICTIM_SERVICE_PROVIDER = "victim service provider (HUD forbids sharing; not imported)"

# Layouts (layouts/hmis.toml) -> the part each plays in an HMIS export.
HMIS_ROLES = {
    "hmis_fy2024_client": "client",
    "hmis_fy2026_client": "client",
    "hmis_enrollment": "enrollment",
    "hmis_exit": "exit",
    "hmis_services": "services",
    "hmis_export": "export",
    "hmis_organization": "organization",
    "hmis_project": "project",
}
JAIL_ROLES = {
    "dssg_jail_bookings": "bookings",
    "jail_bookings": "bookings",
    "dssg_jail_booking_charges": "charges",
    "jail_charges": "charges",
}

# HMIS bookkeeping columns every file has; copying them from Client or Exit onto an enrollment would only clash.
HMIS_BOOKKEEPING = ("PersonalID", "EnrollmentID", "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID")

# Header names of the columns the jail join needs (compared without case, spaces or punctuation).
BOOKING_NUMBER_NAMES = ("booking_number", "booking number", "booking no", "booking num", "booking id", "book number")
CHARGE_DESCRIPTION_NAMES = (
    "charge_desc", "charge description", "charge desc", "charge", "offense description", "offense",
    "statute description",
)  # fmt: skip
STATUTE_NAMES = ("statute", "statute code", "offense code")
CHARGE_LEVEL_NAMES = (
    "charge_class", "charge_type", "offense_category", "charge level", "charge degree", "degree",
    "offense class", "severity",
)  # fmt: skip
CHARGE_LEVELS = ("felony", "misdemeanor", "citation", "other")  # most serious first


@dataclass
class JoinPlan:
    """Tables given together that are parts of one export, by the part each plays."""

    kind: str  # "hmis" or "jail"
    parts: dict[str, list[Table]] = field(default_factory=dict)  # role -> tables

    def one(self, role: str) -> Table | None:
        """The table playing `role`, or None."""
        tables = self.parts.get(role, [])
        return tables[0] if tables else None

    def tables(self) -> list[Table]:
        """Every table of the plan."""
        return [t for tables in self.parts.values() for t in tables]

    def describe(self) -> str:
        """The plan in words: 'hmis: client = Client.csv; enrollment = Enrollment.csv'."""
        parts = "; ".join(f"{role} = {', '.join(t.label for t in ts)}" for role, ts in self.parts.items())
        return f"{self.kind}: {parts}"


def _role(table: Table, roles: dict[str, str]) -> str | None:
    layout = recognise_layout(table.header)
    return roles.get(layout.name) if layout else None


def detect_export_set(tables: list[Table]) -> list[JoinPlan]:
    """The groups among `tables` that are joined before import (an HMIS export, jail bookings + charges)."""
    plans = []
    hmis = JoinPlan("hmis")
    jail = JoinPlan("jail")
    for table in tables:
        if role := _role(table, HMIS_ROLES):
            hmis.parts.setdefault(role, []).append(table)
        elif role := _role(table, JAIL_ROLES):
            jail.parts.setdefault(role, []).append(table)
    if "client" in hmis.parts and ("enrollment" in hmis.parts or "services" in hmis.parts):
        for role, role_tables in hmis.parts.items():
            if len(role_tables) > 1:
                raise MappingError(
                    f"Two HMIS {role} files were given ({', '.join(t.label for t in role_tables)}).",
                    hint="Import one HMIS export at a time.",
                )
        plans.append(hmis)
    if "bookings" in jail.parts and "charges" in jail.parts:
        plans.append(jail)
    return plans


def join_tables(tables: list[Table]) -> list[Table]:
    """The tables to import: joined exports in place of their parts, the others as given.

    HMIS files given alone still lose their rows deleted in HMIS (skipped with reason "deleted in HMIS").
    """
    plans = detect_export_set(tables)
    joined: dict[int, list[Table]] = {}  # id of a plan's first table -> the tables it becomes
    consumed: set[int] = set()
    for plan in plans:
        members = plan.tables()
        consumed.update(id(t) for t in members)
        first = min(members, key=lambda t: next(i for i, given in enumerate(tables) if given is t))
        joined[id(first)] = join_hmis(plan) if plan.kind == "hmis" else join_jail(plan)
    result = []
    for table in tables:
        if id(table) in joined:
            result.extend(joined[id(table)])
        elif id(table) not in consumed:
            result.append(skip_deleted_hmis_rows(table) if _role(table, HMIS_ROLES) else table)
    return result


# --------------------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------------------


def join_key(value: Cell) -> str:
    """`value` as a key to join on: trimmed, upper case, 12.0 == 12 == "12" == "012"."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    # Excel drops leading zeros from number-like IDs in one file but not in the other.
    return text.lstrip("0") or text if text.isdigit() else text


def _column_index(table: Table, names: Iterable[str]) -> int | None:
    for name in names:
        if (index := resolve_column(name, table.header)) is not None:
            return index
    return None


def _cell(row: TableRow, index: int | None) -> Cell:
    if index is None or index >= len(row.values):
        return None
    value = row.values[index]
    return None if isinstance(value, str) and not value.strip() else value


def _is_set(value: Cell) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _with_note(table: Table, note: str) -> Table:
    return replace(table, source=replace(table.source, notes=[*table.source.notes, note]))


def _extend_header(header: list[str], extra: Sequence[str], prefix: str) -> list[str]:
    """The names `extra` columns get next to `header`: their own, or `prefix` + name where that clashes."""
    taken = {normalize_header(h) for h in header}
    names = []
    for name in extra:
        new = name if normalize_header(name) not in taken else f"{prefix}{name}"
        taken.add(normalize_header(new))
        names.append(new)
    return names


def skip_deleted_hmis_rows(table: Table) -> Table:
    """`table` without its rows that have DateDeleted set (skipped as "deleted in HMIS")."""
    deleted_at = resolve_column("DateDeleted", table.header)
    if deleted_at is None:
        return table
    kept = [r for r in table.rows if not _is_set(_cell(r, deleted_at))]
    if len(kept) == len(table.rows):
        return table
    skipped = [SkippedRow(r.row_number, SKIP_DELETED_IN_HMIS) for r in table.rows if _is_set(_cell(r, deleted_at))]
    return replace(table, rows=kept, skipped=[*table.skipped, *skipped])


# --------------------------------------------------------------------------------------------------------------
# HMIS
# --------------------------------------------------------------------------------------------------------------


def hmis_version(plan: JoinPlan) -> str:
    """'FY2024' or 'FY2026': from Export.csv's CSVVersion if given, else from Client.csv's columns."""
    export = plan.one("export")
    if export is not None and export.rows:
        version = _cell(export.rows[0], resolve_column("CSVVersion", export.header))
        if version is not None and (year := re.search(r"20\d\d", str(version))):
            return "FY2026" if int(year[0]) >= 2026 else "FY2024"
    client = plan.one("client")
    has_sex = client is not None and resolve_column("Sex", client.header) is not None
    return "FY2026" if has_sex and resolve_column("Woman", client.header) is None else "FY2024"


def join_hmis(plan: JoinPlan) -> list[Table]:
    """The enrollments (and services) of an HMIS export, each row carrying its client's identity and exit."""
    client = plan.one("client")
    assert client is not None  # detect_export_set makes only plans with a Client file
    _leave_out_victim_service_providers(plan)
    version = hmis_version(plan)
    clients = _ClientIndex(client)
    result = []
    if (enrollment := plan.one("enrollment")) is not None:
        result.append(_join_enrollments(enrollment, clients, plan, version))
    if (services := plan.one("services")) is not None:
        result.append(_join_client_columns(services, clients, version, extra_note=""))
    return result


class _ClientIndex:
    """Client.csv rows by PersonalID, with the identity columns to copy onto other HMIS rows."""

    def __init__(self, client: Table) -> None:
        self.table = client
        self.columns = [
            (i, name) for i, name in enumerate(client.header) if name not in HMIS_BOOKKEEPING
        ]  # identity, race and gender flags, veteran status
        person_at = resolve_column("PersonalID", client.header)
        deleted_at = resolve_column("DateDeleted", client.header)
        self.rows: dict[str, TableRow] = {}
        self.deleted: set[str] = set()
        for row in client.rows:
            key = join_key(_cell(row, person_at))
            if _is_set(_cell(row, deleted_at)):
                self.deleted.add(key)
            elif key:
                self.rows.setdefault(key, row)
        self.deleted -= set(self.rows)  # a person re-entered after a deletion is not deleted

    def values(self, key: str) -> list[Cell]:
        row = self.rows[key]
        return [row.values[i] if i < len(row.values) else None for i, _ in self.columns]


def _join_client_columns(table: Table, clients: _ClientIndex, version: str, extra_note: str) -> Table:
    """`table` with its client's columns added to each row; deleted and orphaned rows skipped."""
    person_at = resolve_column("PersonalID", table.header)
    deleted_at = resolve_column("DateDeleted", table.header)
    header = list(table.header)
    header += _extend_header(header, [name for _, name in clients.columns], "Client")
    rows, skipped = [], list(table.skipped)
    missing = deleted = 0
    for row in table.rows:
        key = join_key(_cell(row, person_at))
        if _is_set(_cell(row, deleted_at)) or key in clients.deleted:
            skipped.append(SkippedRow(row.row_number, SKIP_DELETED_IN_HMIS))
            deleted += 1
        elif key not in clients.rows:
            skipped.append(SkippedRow(row.row_number, SKIP_CLIENT_MISSING))
            missing += 1
        else:
            values = list(row.values) + [None] * (len(table.header) - len(row.values))
            rows.append(TableRow(row.row_number, values + clients.values(key)))
    note = (
        f"HMIS CSV {version}: joined {clients.table.label} on PersonalID{extra_note}; "
        f"{deleted} row(s) deleted in HMIS skipped; {missing} row(s) whose PersonalID is not in "
        f"{clients.table.label} skipped"
    )
    return _with_note(replace(table, header=header, rows=rows, skipped=skipped), note)


def _join_enrollments(enrollment: Table, clients: _ClientIndex, plan: JoinPlan, version: str) -> Table:
    exit_table = plan.one("exit")
    project = plan.one("project")
    extra = ""
    if exit_table is not None:
        enrollment = _add_exits(enrollment, exit_table)
        extra += f" and {exit_table.label} on EnrollmentID"
    if project is not None:
        enrollment = _add_project(enrollment, project)
        extra += f" and {project.label} on ProjectID"
    joined = _join_client_columns(enrollment, clients, version, extra)
    if (client_version := _client_columns_version(clients.table)) != version:
        joined = _with_note(joined, f"Export.csv says {version} but {clients.table.label} has {client_version} columns")
    return joined


def _client_columns_version(client: Table) -> str:
    return "FY2024" if resolve_column("Woman", client.header) is not None else "FY2026"


def _add_exits(enrollment: Table, exits: Table) -> Table:
    """Enrollment rows with the columns of their exit (the latest one not deleted) added."""
    enrollment_at = resolve_column("EnrollmentID", exits.header)
    deleted_at = resolve_column("DateDeleted", exits.header)
    date_at = resolve_column("ExitDate", exits.header)
    copied = [(i, name) for i, name in enumerate(exits.header) if name not in HMIS_BOOKKEEPING]
    latest: dict[str, TableRow] = {}
    for row in exits.rows:
        key = join_key(_cell(row, enrollment_at))
        if key and not _is_set(_cell(row, deleted_at)):
            earlier = latest.get(key)
            if earlier is None or str(_cell(row, date_at) or "") >= str(_cell(earlier, date_at) or ""):
                latest[key] = row
    return _append_columns(enrollment, "EnrollmentID", latest, copied, "Exit")


def _add_project(enrollment: Table, project: Table) -> Table:
    """Enrollment rows with their project's name and type added."""
    project_at = resolve_column("ProjectID", project.header)
    by_id = {join_key(_cell(r, project_at)): r for r in project.rows}
    copied = [(i, n) for n in ("ProjectName", "ProjectType") if (i := resolve_column(n, project.header)) is not None]
    return _append_columns(enrollment, "ProjectID", by_id, copied, "Project")


def _append_columns(
    table: Table, key_column: str, by_key: dict[str, TableRow], copied: list[tuple[int, str]], prefix: str
) -> Table:
    key_at = resolve_column(key_column, table.header)
    header = list(table.header)
    header += _extend_header(header, [name for _, name in copied], prefix)
    rows = []
    for row in table.rows:
        match = by_key.get(join_key(_cell(row, key_at)))
        values = list(row.values) + [None] * (len(table.header) - len(row.values))
        values += [_cell(match, i) if match else None for i, _ in copied]
        rows.append(TableRow(row.row_number, values))
    return replace(table, header=header, rows=rows)


def _leave_out_victim_service_providers(plan: JoinPlan) -> None:
    """Nothing; enrollments of victim service providers' projects are taken out of `plan` (skipped, no values
    kept), or ImportFileError when providers are listed but Project.csv, which says whose enrollments are whose,
    is missing."""
    organization, project = plan.one("organization"), plan.one("project")
    providers = _flagged_ids(organization, "OrganizationID") if organization else set()
    projects = _flagged_ids(project, "ProjectID") if project else set()
    if providers and project is None:
        raise ImportFileError(
            f"{organization.label} lists victim service providers (VictimServiceProvider = 1), and without "
            "Project.csv DDJ cannot tell which enrollments are theirs.",
            hint="Give Project.csv with the export, or ask the HMIS lead for an export without those providers.",
        )
    if project is not None and providers:
        org_at = resolve_column("OrganizationID", project.header)
        project_at = resolve_column("ProjectID", project.header)
        projects |= {join_key(_cell(r, project_at)) for r in project.rows if join_key(_cell(r, org_at)) in providers}
    enrollment = plan.one("enrollment")
    if not projects or enrollment is None:
        return
    project_at = resolve_column("ProjectID", enrollment.header)
    theirs = [r for r in enrollment.rows if join_key(_cell(r, project_at)) in projects]
    if theirs:
        # HUD forbids sharing victim service providers' identifying data: their rows are counted, never kept.
        kept = [r for r in enrollment.rows if join_key(_cell(r, project_at)) not in projects]
        skipped = [*enrollment.skipped, *(SkippedRow(r.row_number, SKIP_VICTIM_SERVICE_PROVIDER) for r in theirs)]
        plan.parts["enrollment"] = [replace(enrollment, rows=kept, skipped=skipped)]


def _flagged_ids(table: Table, id_column: str) -> set[str]:
    """IDs of the rows of `table` with VictimServiceProvider = 1."""
    flag_at = resolve_column("VictimServiceProvider", table.header)
    id_at = resolve_column(id_column, table.header)
    if flag_at is None or id_at is None:
        return set()
    return {join_key(_cell(r, id_at)) for r in table.rows if join_key(_cell(r, flag_at)) == "1"}


# --------------------------------------------------------------------------------------------------------------
# Jail bookings + charges
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Charge:
    """One charge of a booking, as the charges file gives it."""

    description: str
    level: str  # one of CHARGE_LEVELS
    degree: int  # 1 is the most serious degree or class within a level; 9 when not given
    position: int  # order in the charges file


@cache  # a charges file repeats a handful of codes many thousand times
def charge_level_of(text: Cell) -> str | None:
    """'felony', 'misdemeanor', 'citation' or 'other' for a class/category code; None if it says nothing."""
    code = re.sub(r"\s+", " ", str(text or "").strip().upper())
    if not code:
        return None
    if "FELONY" in code or re.fullmatch(r"F[A-E0-9]?\d?|FEL\w*|CF|CAPITAL.*|\d(?:ST|ND|RD|TH)? DEGREE FEL.*", code):
        return "felony"
    if "MISD" in code or re.fullmatch(r"M[A-E0-9]?\d?|MIS\w*|GM|SM|GROSS.*", code):
        return "misdemeanor"
    if re.search(r"CITATION|INFRACTION|VIOLATION|ORDINANCE|PETTY", code) or code in {
        "C", "T", "I", "V", "CIT", "INF", "ORD",
    }:  # fmt: skip
        return "citation"
    if code in {"O", "OTHER", "OTH", "HOLD", "WARRANT", "N/A", "NA"}:
        return "other"
    return None


@cache
def _degree_of(text: Cell) -> int:
    code = str(text or "").strip().upper()
    if digit := re.search(r"\d", code):
        return int(digit[0])
    if letter := re.fullmatch(r"(?:[FM]|CLASS ?)?([A-E])", code):
        return "ABCDE".index(letter[1]) + 1
    return 9


def _charge_reader(charges: Table):
    """A function giving the Charge of one row of `charges` (its columns looked up once)."""
    description_at = _column_index(charges, CHARGE_DESCRIPTION_NAMES)
    statute_at = _column_index(charges, STATUTE_NAMES)
    level_at = [i for n in CHARGE_LEVEL_NAMES if (i := resolve_column(n, charges.header)) is not None]

    def charge_of(row: TableRow, position: int) -> Charge:
        description = str(_cell(row, description_at) or _cell(row, statute_at) or "").strip()
        # Columns disagree in their own words (DSSG charge_type "M" with charge_class "A"): the most serious
        # level any of them states wins, and the lowest degree or class any of them gives orders within it.
        levels = [level for i in level_at if (level := charge_level_of(_cell(row, i)))]
        level = min(levels, key=CHARGE_LEVELS.index, default=None)
        degree = min((_degree_of(_cell(row, i)) for i in level_at), default=9)
        # Without a class column, a description such as "THEFT - FELONY" may still say the level in words.
        if level is None and (word := re.search(r"FELONY|MISDEMEANOR|MISD\b", description.upper())):
            level = charge_level_of(word[0])
        return Charge(description, level or "other", degree, position)

    return charge_of


def most_serious(charges: Sequence[Charge]) -> Charge | None:
    """The most serious of `charges`: felony > misdemeanor > citation > other, then degree, then file order."""
    return min(charges, key=lambda c: (CHARGE_LEVELS.index(c.level), c.degree, c.position), default=None)


def join_jail(plan: JoinPlan) -> list[Table]:
    """Each bookings table with charge, charge_level and charges added from the charges file(s)."""
    by_booking: dict[str, list[Charge]] = {}
    position = 0
    for charges in plan.parts["charges"]:
        number_at = _column_index(charges, BOOKING_NUMBER_NAMES)
        charge_of = _charge_reader(charges)
        for row in charges.rows:
            position += 1
            if key := join_key(_cell(row, number_at)):
                by_booking.setdefault(key, []).append(charge_of(row, position))
    bookings_tables = plan.parts["bookings"]
    known = set()
    for bookings in bookings_tables:
        number_at = _column_index(bookings, BOOKING_NUMBER_NAMES)
        known.update(join_key(_cell(r, number_at)) for r in bookings.rows)
    orphans = sum(len(v) for k, v in by_booking.items() if k not in known)
    labels = ", ".join(t.label for t in plan.parts["charges"])
    note = f"joined charges from {labels} on the booking number"
    if orphans:
        note += f"; {orphans} charge(s) name a booking that is in no bookings file given"
    joined = []
    for bookings in bookings_tables:
        number_at = _column_index(bookings, BOOKING_NUMBER_NAMES)
        if any(join_key(_cell(r, number_at)) in by_booking for r in bookings.rows):
            joined.append(_with_note(_add_charges(bookings, by_booking), note))
        else:  # another export given in the same batch: its own charge columns, if any, stay as they are
            joined.append(_with_note(bookings, f"no charge in {labels} names a booking of this file: none joined"))
    return joined


def _add_charges(bookings: Table, by_booking: dict[str, list[Charge]]) -> Table:
    number_at = _column_index(bookings, BOOKING_NUMBER_NAMES)
    added = ("charge", "charge_level", "charges")
    # The joined columns win their names; a bookings column already called "Charge" keeps its values under
    # "Charge (bookings file)" so the mapping does not have to choose between two "charge" columns.
    header = [
        f"{name} (bookings file)" if normalize_header(name) in {normalize_header(a) for a in added} else name
        for name in bookings.header
    ]
    rows = []
    for row in bookings.rows:
        charges = by_booking.get(join_key(_cell(row, number_at)), [])
        top = most_serious(charges)
        values = list(row.values) + [None] * (len(bookings.header) - len(row.values))
        values += [
            top.description if top else None,
            top.level if top else None,
            "; ".join(c.description for c in charges if c.description) or None,
        ]
        rows.append(TableRow(row.row_number, values))
    return replace(bookings, header=[*header, *added], rows=rows)
