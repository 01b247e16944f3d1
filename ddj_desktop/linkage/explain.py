"""Explanations: why two records are (or are not) one person, field by field, and why a person's records are
together. Uses the model of the last link run and the store's current name frequencies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.linkage import compare
from ddj_desktop.linkage.engine import LinkSettings, exact_identity, term_frequencies
from ddj_desktop.linkage.frame import Frame, IdentityRow, build_frame
from ddj_desktop.linkage.model import Model, probability
from ddj_desktop.linkage.run import RecordRef, hashed_tokens, pair_id, record_tokens
from ddj_desktop.store.models import LinkRun, Pair, Record, Source

MAX_PERSON_PROFILES = 300


@dataclass(frozen=True)
class FieldEvidence:
    comparison: str  # title, e.g. "date of birth"
    value_a: str
    value_b: str
    level: str  # the level's label, or "missing on one side"
    weight: float  # log2 Bayes factor (0 when missing)


@dataclass
class PairExplanation:
    a: RecordRef
    b: RecordRef
    fields: list[FieldEvidence]
    prior_weight: float
    match_weight: float
    probability: float
    exact_rule: bool  # exact SSN + DOB + last name: linked first, whatever the weights say
    same_person: bool
    person_a: int | None
    person_b: int | None
    pair_id: str
    pair_status: str | None  # review | settled | None (never between the thresholds)
    link_threshold: float
    review_threshold: float
    identical: bool = False  # the two records carry the same identity: one profile, never compared

    def decision(self) -> str:
        if self.identical or self.exact_rule or self.probability >= self.link_threshold:
            return "link"
        return "review" if self.probability >= self.review_threshold else "no link"


@dataclass
class PersonLink:
    a: RecordRef
    b: RecordRef
    probability: float
    strongest: list[str] = field(default_factory=list)  # the comparisons that weigh most, as "label (+w)"


@dataclass
class PersonExplanation:
    person_id: int
    records: list[tuple[RecordRef, str]]  # (record, one-line identity)
    links: list[PersonLink]  # a maximum spanning tree of the person's records: what holds them together
    weak: list[PersonLink]  # links of the tree below the link threshold (held only through others)


def _latest_run(session: Session) -> LinkRun:
    run = session.scalar(select(LinkRun).order_by(LinkRun.id.desc()).limit(1))
    if run is None:
        raise DdjError("Nothing has been linked yet.", hint="Run `ddj-desktop link STORE` first.")
    return run


def _identity_rows(session: Session, where) -> list[IdentityRow]:  # type: ignore[no-untyped-def]
    rows = session.execute(
        select(
            Record.id, Source.name, Record.source_key, Record.agency_person_id, Record.first_name, Record.middle_name,
            Record.last_name, Record.name_suffix, Record.dob, Record.dob_quality, Record.ssn, Record.ssn_last4,
            Record.sex, Record.person_id, Record.address, Record.zip,
        ).join(Source, Source.id == Record.source_id).where(where)
    ).all()  # fmt: skip
    return [IdentityRow(*r) for r in rows]


def _find(session: Session, ref: RecordRef) -> IdentityRow:
    source, key = ref
    rows = _identity_rows(session, (Source.name == source.strip().lower()) & (Record.source_key == key.strip()))
    if not rows:
        raise DdjError(f"There is no record {source}:{key}.", hint="Give records as SOURCE:KEY, e.g. jail:2021000001.")
    return rows[0]


def _store_frequencies(session: Session, frame: Frame) -> None:
    """Set the frame's term frequencies from the whole store (as the link run computed them, over records)."""
    for column, words, target in (
        (Record.first_name, frame.first, "first_freq"), (Record.last_name, frame.last, "last_freq"),
        (func.upper(Record.address), frame.address, "address_freq"),
    ):  # fmt: skip
        total = session.scalar(select(func.count()).select_from(Record).where(column.is_not(None))) or 1
        values = np.zeros(len(words))
        for i, word in enumerate(words.tolist()):
            if word:
                count = session.scalar(select(func.count()).select_from(Record).where(column == word)) or 0
                values[i] = count / total
        setattr(frame, target, values)


def _frame(session: Session, rows: list[IdentityRow], settings: LinkSettings) -> Frame:
    """The rows as the run compared them: plain, or (HMAC mode) by their keyed tokens."""
    if not settings.hashed:
        frame = build_frame(rows, settings.id_namespaces)
        _store_frequencies(session, frame)
        return frame
    tokens = record_tokens(session, rows, hashed_tokens(session, [r.id for r in rows]))
    # Term frequencies of tokens are the run's alone (the store cannot count a token): weights are shown
    # without that adjustment.
    return build_frame(rows, settings.id_namespaces, tokens=tokens)


_HASHED_FIELDS = {"first_name": "first_id", "last_name": "last_id", "middle_name": "middle_id", "dob": "dob",
                  "ssn": "ssn", "address": "address_id"}


def _describe(frame: Frame, p: int, comparison: compare.Comparison) -> str:
    name = comparison.name
    if frame.hashed and name in _HASHED_FIELDS:
        column = getattr(frame, _HASHED_FIELDS[name])
        if name == "ssn" and column[p] <= 0:
            return "(hashed last four)" if frame.ssn_last4[p] > 0 else ""
        return "(hashed)" if column[p] > 0 else ""
    if name == "first_name":
        return frame.first[p]
    if name == "last_name":
        return frame.last[p]
    if name == "middle_name":
        return frame.middle[p]
    if name == "suffix":
        return frame.suffix[p]
    if name == "dob":
        d = int(frame.dob[p])
        text = f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" if d else ""
        return f"{text} (approximate)" if text and frame.dob_approx[p] else text
    if name == "ssn":
        if frame.ssn[p] >= 0:
            return f"***-**-{int(frame.ssn[p]) % 10000:04d}"
        return f"last four {int(frame.ssn_last4[p]):04d}" if frame.ssn_last4[p] >= 0 else ""
    if name == "sex":
        return {1: "female", 2: "male"}.get(int(frame.sex[p]), "")
    if name == "address":
        return frame.address[p]
    if name == "zip":
        return f"{int(frame.zip[p]):05d}" if frame.zip[p] else ""
    return ""  # agency person IDs are filled in by explain_pair, which has the rows


def _score(model: Model, frame: Frame, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    levels = compare.level_matrix(compare.compare_pairs(frame, left, right), model.comparisons)
    weights = model.weight_columns(levels, None if frame.hashed else term_frequencies(frame, left, right))
    return levels, weights


def explain_pair(session: Session, a: RecordRef, b: RecordRef) -> PairExplanation:
    """Each comparison's level and weight for records `a` and `b`, and the resulting match probability."""
    run = _latest_run(session)
    model = Model.from_json(run.model)
    settings = LinkSettings(**{k: v for k, v in run.settings.items() if k in LinkSettings.__dataclass_fields__})
    row_a, row_b = _find(session, a), _find(session, b)
    frame = _frame(session, [row_a, row_b], settings)
    pa = int(frame.record_profile[0 if row_a.id < row_b.id else 1])
    pb = int(frame.record_profile[1 if row_a.id < row_b.id else 0])
    # Records with the same source and identical identity are one profile: the link run never weighs them (they
    # are the same person by construction), so neither does the explanation; the fields are still shown.
    identical = pa == pb
    left, right = np.array([pa]), np.array([pb])
    levels, weights = _score(model, frame, left, right)
    fields = []
    for k, comparison in enumerate(model.comparisons):
        level = int(levels[0, k])
        fields.append(FieldEvidence(
            comparison.title, _describe(frame, pa, comparison), _describe(frame, pb, comparison),
            comparison.levels[level] if level >= 0 else "missing on one side", float(weights[0, k]),
        ))  # fmt: skip
    names = [c.name for c in model.comparisons]
    if "agency_id" in names:
        k = names.index("agency_id")
        same_space = frame.id_space[pa] == frame.id_space[pb]
        fields[k] = FieldEvidence(
            fields[k].comparison, row_a.agency_person_id or "", row_b.agency_person_id or "",
            fields[k].level if same_space else "different sources: not compared", fields[k].weight)
    total = model.prior_weight() + float(weights.sum())
    exact = bool(exact_identity(frame, left, right)[0])
    certain = exact or identical
    ref_a, ref_b = (row_a.source, row_a.source_key), (row_b.source, row_b.source_key)
    pid = pair_id(ref_a, ref_b)
    status = session.scalar(select(Pair.status).where(Pair.id == pid))
    return PairExplanation(
        ref_a, ref_b, fields, model.prior_weight(), total, 1.0 if certain else float(probability(total)), exact,
        row_a.person_id is not None and row_a.person_id == row_b.person_id, row_a.person_id, row_b.person_id, pid,
        status, settings.link_threshold, settings.review_threshold, identical,
    )  # fmt: skip


def explain_person(session: Session, person_id: int, *, visible=None) -> PersonExplanation:  # type: ignore[no-untyped-def]
    """The records of person `person_id` (those `visible`, a WHERE clause, keeps) and the strongest links that hold
    them together."""
    run = _latest_run(session)
    model = Model.from_json(run.model)
    settings = LinkSettings(**{k: v for k, v in run.settings.items() if k in LinkSettings.__dataclass_fields__})
    where = Record.person_id == person_id
    rows = _identity_rows(session, where if visible is None else where & visible)
    if not rows:
        raise DdjError(f"There is no person {person_id}.")
    frame = _frame(session, rows, settings)
    n = min(frame.profiles, MAX_PERSON_PROFILES)
    records = [((r.source, r.source_key), _one_line(r)) for r in sorted(rows, key=lambda r: r.id)]
    if n < 2:
        return PersonExplanation(person_id, records, [], [])
    left, right = np.triu_indices(n, k=1)
    levels, weights = _score(model, frame, left, right)
    totals = model.prior_weight() + weights.sum(axis=1)
    exact = exact_identity(frame, left, right)
    probs = np.where(exact, 1.0, np.asarray(probability(totals)))
    # Maximum spanning tree (Kruskal): the strongest chain that holds the profiles together.
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tree = []
    for k in np.argsort(-probs, kind="stable").tolist():
        ra, rb = find(int(left[k])), find(int(right[k]))
        if ra != rb:
            parent[ra] = rb
            tree.append(k)
    links = []
    for k in tree:
        ia, ib = int(frame.first_record[left[k]]), int(frame.first_record[right[k]])
        top = sorted(range(len(model.comparisons)), key=lambda c: -abs(weights[k, c]))[:3]
        links.append(PersonLink(
            (frame.record_source[ia], frame.record_key[ia]), (frame.record_source[ib], frame.record_key[ib]),
            float(probs[k]),
            [f"{model.comparisons[c].title}: {model.comparisons[c].levels[levels[k, c]]} ({weights[k, c]:+.1f})"
             for c in top if levels[k, c] >= 0],
        ))  # fmt: skip
    weak = [link for link in links if link.probability < settings.link_threshold]
    return PersonExplanation(person_id, records, links, weak)


def _one_line(r: IdentityRow) -> str:
    name = " ".join(x for x in (r.first_name, r.middle_name, r.last_name, r.name_suffix) if x)
    parts = [name or "(no name)", f"DOB {r.dob}" if r.dob else "no DOB"]
    if r.ssn or r.ssn_last4:
        parts.append(f"SSN last four {(r.ssn or '')[-4:] or r.ssn_last4}")
    return ", ".join(parts)


def format_pair(e: PairExplanation) -> str:
    """The explanation as the CLI prints it."""
    lines = [f"{e.a[0]}:{e.a[1]}  vs  {e.b[0]}:{e.b[1]}   (pair {e.pair_id})", ""]
    lines.append(f"{'comparison':<18} {'record a':<22} {'record b':<22} {'level':<46} {'weight':>7}")
    for f in e.fields:
        lines.append(f"{f.comparison:<18} {f.value_a[:22]:<22} {f.value_b[:22]:<22} {f.level[:46]:<46} {f.weight:>+7.2f}")
    lines.append(f"{'prior (any two records)':<111} {e.prior_weight:>+7.2f}")
    lines.append(f"{'match weight':<111} {e.match_weight:>+7.2f}")
    lines.append("")
    rule = " (exact SSN, date of birth and last name: linked first)" if e.exact_rule else ""
    if e.identical:
        rule = " (same source, identical name, date of birth, SSN, sex and agency person ID: one identity)"
    lines.append(f"Match probability {e.probability:.4f}{rule}: {e.decision()} "
                 f"(link at >= {e.link_threshold}, review at >= {e.review_threshold}).")
    now = "the same person" if e.same_person else "different persons"
    lines.append(f"Now: {now} (P{e.person_a or 0:06d}, P{e.person_b or 0:06d})"
                 + (f"; in the review queue as pair {e.pair_id}." if e.pair_status == "review" else "."))
    return "\n".join(lines)


def format_person(e: PersonExplanation) -> str:
    lines = [f"Person P{e.person_id:06d}: {len(e.records)} records", ""]
    lines += [f"  {s}:{k}  {text}" for (s, k), text in e.records]
    if e.links:
        lines += ["", "What holds them together (strongest links, one per record joined):"]
        for link in e.links:
            mark = "  WEAK" if link in e.weak else ""
            lines.append(f"  {link.a[0]}:{link.a[1]} - {link.b[0]}:{link.b[1]}  p={link.probability:.4f}{mark}")
            lines += [f"      {text}" for text in link.strongest]
    if e.weak:
        lines.append(f"\n{len(e.weak)} link(s) are below the link threshold on their own: the records are "
                     "together through others. Worth a look in person review.")
    return "\n".join(lines)
