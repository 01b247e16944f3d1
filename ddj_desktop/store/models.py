"""The store's tables as SQLAlchemy ORM classes. The schema itself is made by the Alembic migrations beside this.

Dates are ISO-8601 text (event times keep their UTC offset when the source gave one), JSON columns hold the
event attributes and the original row. Everything lives inside the encrypted file.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class StoreMeta(Base):
    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Source(Base):
    """One agency system, such as `jail` or `shelter`."""

    __tablename__ = "source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    intercept: Mapped[int | None] = mapped_column(Integer)  # Sequential Intercept Model 0-5; None = unknown
    agency: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Text)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"))  # the MOU it falls under
    retention_years: Mapped[int | None] = mapped_column(Integer)  # None: kept until purged by hand


class Agreement(Base):
    """A data-sharing agreement (MOU / DSA): who shares what, for what purpose, from when until when."""

    __tablename__ = "agreement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    parties: Mapped[list] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(Text)
    fields_allowed: Mapped[list] = mapped_column(JSON)  # canonical fields and attribute names
    starts_on: Mapped[str] = mapped_column(String(10))
    ends_on: Mapped[str | None] = mapped_column(String(10))  # None: open-ended until ended
    created_at: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    ended_at: Mapped[str | None] = mapped_column(Text)
    ended_by: Mapped[str | None] = mapped_column(Text)
    end_note: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin | analyst | reviewer | viewer
    password_hash: Mapped[str | None] = mapped_column(Text)  # Argon2; None only for the first admin
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """One entry of the append-only audit log; `hash` covers this entry and the previous entry's hash."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(Text)  # UTC, ISO-8601
    user_name: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ImportBatch(Base):
    """One file (or joined set of files) imported into one source by one command."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(Text)
    profile_name: Mapped[str | None] = mapped_column(Text)
    profile_toml: Mapped[str | None] = mapped_column(Text)
    user_name: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[str] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)  # known rows whose values changed since
    rows_duplicate: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)  # reason -> count
    notes: Mapped[list] = mapped_column(JSON, default=list)  # what the reader decided, files joined ...
    source: Mapped[Source] = relationship()


class RowProblem(Base):
    """A row an import rejected (`rejected`), or imported without one of its values; the reason says which."""

    __tablename__ = "row_problem"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    row_number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    rejected: Mapped[bool] = mapped_column(default=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)  # the row as sent, for rejected rows


class Person(Base):
    """A stable person ID; records point at it, linkage merges and splits them."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[str] = mapped_column(Text)


class Record(Base):
    """One row of one source: the normalized identity, the event, and the original row."""

    __tablename__ = "record"
    __table_args__ = (
        UniqueConstraint("source_id", "source_key", name="uq_record_source_key"),
        Index("ix_record_person", "person_id"),
        Index("ix_record_dob", "dob"),
        Index("ix_record_last_name", "last_name"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))
    source_key: Mapped[str] = mapped_column(Text)
    agency_person_id: Mapped[str | None] = mapped_column(Text)
    first_name: Mapped[str | None] = mapped_column(Text)
    middle_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    name_suffix: Mapped[str | None] = mapped_column(Text)
    name_quality: Mapped[str | None] = mapped_column(Text)
    dob: Mapped[str | None] = mapped_column(Text)
    dob_year: Mapped[int | None] = mapped_column(Integer)
    dob_quality: Mapped[str | None] = mapped_column(Text)
    ssn: Mapped[str | None] = mapped_column(Text)
    ssn_last4: Mapped[str | None] = mapped_column(Text)
    ssn_quality: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str | None] = mapped_column(Text)
    race: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    zip: Mapped[str | None] = mapped_column(Text)
    event_type: Mapped[str | None] = mapped_column(Text)
    event_start: Mapped[str | None] = mapped_column(Text)
    event_end: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    raw: Mapped[dict] = mapped_column(JSON, default=dict)  # the row as the agency sent it
    row_hash: Mapped[str | None] = mapped_column(Text)  # SHA-1 of `raw`: has next month's row changed?
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    source: Mapped[Source] = relationship()


class LinkRun(Base):
    """One linkage run: its settings, the model it estimated (m, u, prior) and what it found."""

    __tablename__ = "link_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[str] = mapped_column(Text)
    finished_at: Mapped[str] = mapped_column(Text)
    user_name: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    model: Mapped[dict] = mapped_column(JSON, default=dict)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)


class Pair(Base):
    """Two records whose match probability fell between the thresholds: the review queue's material.

    The ID is derived from the two records' (source, source_key), so the same question keeps its ID across link
    runs and imports. `status` is `review` while the last run put the pair between the thresholds (and its
    records in different persons), else `settled`. Records a/b are ordered by (source name, source key)."""

    __tablename__ = "pair"
    __table_args__ = (
        UniqueConstraint("a_source_id", "a_source_key", "b_source_id", "b_source_key", name="uq_pair_records"),
        Index("ix_pair_status", "status", "probability"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    a_source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    a_source_key: Mapped[str] = mapped_column(Text)
    b_source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    b_source_key: Mapped[str] = mapped_column(Text)
    a_record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"))
    b_record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"))
    probability: Mapped[float] = mapped_column()
    match_weight: Mapped[float] = mapped_column()
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # comparison -> {level, label, weight}
    status: Mapped[str] = mapped_column(String(16))  # review | settled
    first_run_id: Mapped[int] = mapped_column(ForeignKey("link_run.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("link_run.id"))


class PersonChange(Base):
    """A merge, split or new person made by a link run (`other_person_id`: the merged-away ID, or the ID that
    the split part left)."""

    __tablename__ = "person_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # merge | split
    person_id: Mapped[int] = mapped_column(Integer)
    other_person_id: Mapped[int | None] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)


class Setting(Base):
    """A county setting the forms need (county name, parties ...), as JSON under a key."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)


class RoiTemplateText(Base):
    """The exact wording of a form template, kept the first time a form is made or signed on it."""

    __tablename__ = "roi_template"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    template_id: Mapped[str] = mapped_column(Text)  # e.g. multiparty-en
    version: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[str] = mapped_column(Text)


class RoiForm(Base):
    """One release-of-information form printed for one person; its number is on every page."""

    __tablename__ = "roi_form"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    template_sha256: Mapped[str] = mapped_column(ForeignKey("roi_template.sha256"))
    generated_at: Mapped[str] = mapped_column(Text)
    generated_by: Mapped[str] = mapped_column(Text)


class Consent(Base):
    """A signed release of information: who may disclose to whom, what, until when; and its revocation."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("roi_form.id"))
    template_sha256: Mapped[str] = mapped_column(ForeignKey("roi_template.sha256"))
    template_id: Mapped[str] = mapped_column(Text)
    template_version: Mapped[str] = mapped_column(Text)
    disclosing: Mapped[list] = mapped_column(JSON)  # party keys
    receiving: Mapped[list] = mapped_column(JSON)  # party keys
    # [[disclosing, receiving], ...]: the initialled boxes of the grid; NULL (recorded before the grid): every
    # disclosing party may share with every receiving party
    pairs: Mapped[list | None] = mapped_column(JSON)
    categories: Mapped[list] = mapped_column(JSON)  # [{key, from, to}]
    purposes: Mapped[list] = mapped_column(JSON)
    part2: Mapped[bool] = mapped_column(default=False)  # covers 42 CFR Part 2 records
    signed_on: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[str | None] = mapped_column(Text)
    expiry_event: Mapped[str | None] = mapped_column(Text)
    representative: Mapped[str | None] = mapped_column(Text)
    representative_authority: Mapped[str | None] = mapped_column(Text)
    artifact_name: Mapped[str | None] = mapped_column(Text)  # the scanned signed form
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    revoked_on: Mapped[str | None] = mapped_column(Text)
    revocation_method: Mapped[str | None] = mapped_column(Text)
    revocation_note: Mapped[str | None] = mapped_column(Text)
    revocation_recorded_at: Mapped[str | None] = mapped_column(Text)
    revocation_recorded_by: Mapped[str | None] = mapped_column(Text)


class Disclosure(Base):
    """Records of one person sent to one party under one consent (the accounting of disclosures)."""

    __tablename__ = "disclosure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    party: Mapped[str] = mapped_column(Text)
    categories: Mapped[list] = mapped_column(JSON)
    records: Mapped[int] = mapped_column(Integer)
    part2: Mapped[bool] = mapped_column(default=False)
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    disclosed_at: Mapped[str] = mapped_column(Text)
    disclosed_by: Mapped[str] = mapped_column(Text)
