"""A link run against the store: read identities, link, give persons stable IDs, keep the review pairs.

Stable person IDs: each person that existed before the run is inherited by the new cluster holding its
earliest record (lowest record ID); a cluster that inherits several keeps the oldest (lowest) ID and the others
are merged into it; a cluster that inherits none gets a new ID. So re-linking the same data changes nothing,
next month's records join existing persons, a merge keeps the older ID and a split leaves the ID with the part
holding the earliest record. Merges and splits of persons that existed at the previous run are logged in
`person_change`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.linkage import hashed
from ddj_desktop.linkage.engine import LinkOutcome, LinkSettings, link_frame, term_frequencies
from ddj_desktop.linkage.frame import Frame, IdentityRow, build_frame
from ddj_desktop.progress import NullProgress, Progress, Stage, check_cancelled
from ddj_desktop.store.models import LinkRun, Pair, Person, PersonChange, Record, Setting, Source

RecordRef = tuple[str, str]  # (source name, source key)
REVIEW, SETTLED = "review", "settled"
CHUNK = 20_000
LINK_CACHE_KIB = 512 * 1024


@dataclass
class LinkSummary:
    run_id: int
    records: int
    profiles: int
    candidate_pairs: int
    pairs_per_rule: dict[str, int]
    links: int
    refused: int
    persons: int
    review_pairs: int
    merges: int
    splits: int
    new_persons: int
    changed_records: int
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def pair_id(a: RecordRef, b: RecordRef) -> str:
    """The ID of the question "are records a and b the same person?", the same whichever order they come in."""
    first, second = sorted([a, b])
    text = f"{first[0]}\x1f{first[1]}\x1e{second[0]}\x1f{second[1]}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_frame(session: Session, id_namespaces: Iterable[Iterable[str]] = (), hashed: bool = False) -> Frame:
    """Every record's identity from the store, as a Frame (`id_namespaces`: see LinkSettings). In HMAC mode
    (`hashed`, or whenever the store holds hashed records) every record is linked on its keyed tokens."""
    statement = select(
        Record.id, Source.name, Record.source_key, Record.agency_person_id, Record.first_name, Record.middle_name,
        Record.last_name, Record.name_suffix, Record.dob, Record.dob_quality, Record.ssn, Record.ssn_last4,
        Record.sex, Record.person_id, Record.address, Record.zip,
    ).join(Source, Source.id == Record.source_id)  # fmt: skip
    # Plain tuples from the driver: ORM rows cost more than the read itself at a million records.
    sql = str(statement.compile(session.get_bind()))
    rows = session.connection().exec_driver_sql(sql).fetchall()
    from_agency = hashed_tokens(session)
    if not hashed and not from_agency:
        return build_frame(rows, id_namespaces)
    return build_frame(rows, id_namespaces, tokens=record_tokens(session, rows, from_agency))


def hashed_tokens(session: Session, record_ids: Iterable[int] | None = None) -> dict[int, dict[str, str]]:
    """The tokens of hashed records (those with `hmac_*` attributes and no plain name, DOB or SSN), by record ID;
    only of `record_ids` when given."""
    where = ("first_name IS NULL AND last_name IS NULL AND dob IS NULL AND ssn IS NULL AND ssn_last4 IS NULL "
             f"AND attributes LIKE '%\"{hashed.COLUMN_PREFIX}%'")
    if record_ids is not None:
        ids = [int(i) for i in record_ids]
        if not ids:
            return {}
        where += f" AND id IN ({', '.join(map(str, ids))})"
    found = {}
    for rid, attributes in session.connection().exec_driver_sql(
            f"SELECT id, attributes FROM {Record.__tablename__} WHERE {where}"):
        tokens = hashed.tokens_from_attributes(json.loads(attributes) if isinstance(attributes, str) else attributes)
        if tokens is not None:
            found[int(rid)] = tokens
    return found


def linkage_key(session: Session) -> bytes:
    """The store's HMAC linkage key; a clear error when the county has not given one."""
    setting = session.get(Setting, hashed.KEY_SETTING)
    if setting is None or not setting.value.get("key"):
        raise DdjError(
            "This store links in HMAC mode (it holds hashed records, or hashed linkage is switched on), but it has "
            "no linkage key.", hint="An administrator loads the county's key file: `ddj-desktop hmac-key load STORE "
            "KEYFILE` (the key the agencies hashed with).")
    return hashed.parse_key(setting.value["key"])


def record_tokens(session: Session, rows: Sequence[Any], from_agency: dict[int, dict[str, str]]
                  ) -> dict[int, dict[str, str]]:
    """Every row's tokens: a hashed record's own, a plain record's made with the store's key."""
    hasher = hashed.Hasher(linkage_key(session))
    out: dict[int, dict[str, str]] = {}
    for r in rows:
        r = r if isinstance(r, IdentityRow) else IdentityRow(*r)
        tokens = hasher.tokens(first_name=r.first_name, middle_name=r.middle_name, last_name=r.last_name, dob=r.dob,
                               ssn=r.ssn, ssn_last4=r.ssn_last4, address=r.address,
                               agency_person_id=r.agency_person_id)
        own = from_agency.get(r.id)
        if own is not None:
            tokens.update({k: v for k, v in own.items() if v})
        out[r.id] = tokens
    return out


def _profile_pairs(frame: Frame, refs: Iterable[tuple[RecordRef, RecordRef]]) -> list[tuple[int, int]]:
    if not refs:
        return []
    where = {(s, k): i for i, (s, k) in enumerate(zip(frame.record_source, frame.record_key))}
    out = []
    for a, b in refs:
        ia, ib = where.get(tuple(a)), where.get(tuple(b))
        if ia is not None and ib is not None:
            out.append((int(frame.record_profile[ia]), int(frame.record_profile[ib])))
    return out


@dataclass
class PersonAssignment:
    person: np.ndarray  # new person ID per record (Frame record order)
    new_ids: list[int]
    merges: list[tuple[int, int, int]]  # (kept ID, merged-away ID, records it brought)
    splits: list[tuple[int, int, int]]  # (ID that stayed, ID the split part got, records in the part)


def assign_person_ids(old: np.ndarray, clusters: np.ndarray, next_id: int) -> PersonAssignment:
    """Stable person IDs for records (in record-ID order) with old person IDs `old` (0 = none) now in `clusters`."""
    has_old = np.flatnonzero(old > 0)
    owners, first = np.unique(old[has_old], return_index=True)  # first occurrence = earliest record
    heirs = clusters[has_old[first]]
    # Per cluster, the oldest person ID that it inherits.
    order = np.lexsort((owners, heirs))
    heirs_sorted, owners_sorted = heirs[order], owners[order]
    lead = np.r_[True, heirs_sorted[1:] != heirs_sorted[:-1]]
    cluster_ids, cluster_person = heirs_sorted[lead], owners_sorted[lead]
    merges = []
    losers = ~lead
    if losers.any():
        counts = dict(zip(*np.unique(old[has_old], return_counts=True), strict=True))
        keep_of = dict(zip(cluster_ids.tolist(), cluster_person.tolist(), strict=True))
        merges = [(keep_of[int(c)], int(p), int(counts[p])) for c, p in zip(heirs_sorted[losers], owners_sorted[losers])]
    mapping = dict(zip(cluster_ids.tolist(), cluster_person.tolist(), strict=True))
    new_ids: list[int] = []
    unique_clusters = np.unique(clusters)
    for c in unique_clusters.tolist():
        if c not in mapping:
            mapping[c] = next_id
            new_ids.append(next_id)
            next_id += 1
    lookup_keys = np.array(sorted(mapping), dtype=np.int64)
    lookup_values = np.array([mapping[k] for k in lookup_keys.tolist()], dtype=np.int64)
    result = lookup_values[np.searchsorted(lookup_keys, clusters)]
    # Splits: an old person whose records now sit in more than one person.
    splits = []
    if has_old.size:
        combo = np.unique(np.stack([old[has_old], result[has_old]], axis=1), axis=0, return_counts=True)
        pairs, sizes = combo
        moved = pairs[:, 0] != pairs[:, 1]
        merged_away = {(m[1], m[0]) for m in merges}
        for (before, after), size in zip(pairs[moved].tolist(), sizes[moved].tolist()):
            if (before, after) not in merged_away:
                splits.append((before, after, size))
    return PersonAssignment(result, new_ids, merges, splits)


def evidence(outcome: LinkOutcome, frame: Frame, index: np.ndarray) -> list[dict[str, Any]]:
    """Per candidate pair in `index`, each comparison's level, label and weight (NULL levels left out)."""
    tf = term_frequencies(frame, outcome.left[index], outcome.right[index])
    weights = outcome.model.weight_columns(outcome.levels[index], tf)
    out = []
    for row, k in enumerate(index.tolist()):
        item = {}
        for col, comparison in enumerate(outcome.model.comparisons):
            level = int(outcome.levels[k, col])
            if level >= 0:
                item[comparison.name] = {"level": level, "label": comparison.levels[level],
                                         "weight": round(float(weights[row, col]), 3)}
        out.append(item)
    return out


def link_store(
    session: Session,
    user_name: str,
    now: str,
    settings: LinkSettings | None = None,
    *,
    must_link: Iterable[tuple[RecordRef, RecordRef]] = (),
    cannot_link: Iterable[tuple[RecordRef, RecordRef]] = (),
    progress: Progress | None = None,
) -> LinkSummary:
    """Link every record in the store inside the caller's transaction (nothing is kept if it raises).

    `must_link` / `cannot_link` are reviewer decisions as record pairs; they bind the clustering."""
    settings = settings or LinkSettings()
    progress = progress or NullProgress()
    progress.update(0.0, "Reading records")
    started = time.perf_counter()
    # A bigger page cache for this transaction: updating a million records' person IDs touches index pages all
    # over the file, and every cache miss is a page decrypted again.
    cache_size = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    session.connection().exec_driver_sql(f"PRAGMA cache_size = -{LINK_CACHE_KIB}")
    frame = read_frame(session, settings.id_namespaces, settings.hashed)
    if frame.hashed and not settings.hashed:
        settings = replace(settings, hashed=True)  # the run says so: explanations compare tokens too
    reading = time.perf_counter() - started
    check_cancelled(progress)
    cannot = _profile_pairs(frame, list(cannot_link))
    must = _profile_pairs(frame, list(must_link))
    labelled = [(a, b, True) for a, b in must] + [(a, b, False) for a, b in cannot]
    outcome = link_frame(frame, settings, must_link=must, cannot_link=cannot, labelled=labelled,
                         progress=Stage(progress, 0.15, 0.8))
    check_cancelled(progress)

    progress.update(0.8, "Saving persons")
    started = time.perf_counter()
    previous = session.scalar(select(LinkRun).order_by(LinkRun.id.desc()).limit(1))
    linked_before = int(previous.counts.get("max_person_id", 0)) if previous is not None else 0
    run = LinkRun(started_at=now, finished_at=now, user_name=user_name, settings=settings.to_json(),
                  model=outcome.model.to_json(), counts={})
    session.add(run)
    session.flush()

    next_id = (session.scalar(select(func.max(Person.id))) or 0) + 1
    labels = outcome.labels[frame.record_profile]
    assignment = assign_person_ids(frame.record_person, labels, next_id)
    if assignment.new_ids:
        for start in range(0, len(assignment.new_ids), CHUNK):
            session.execute(insert(Person), [{"id": pid, "created_at": now}
                                             for pid in assignment.new_ids[start:start + CHUNK]])
    changed = np.flatnonzero(assignment.person != frame.record_person)
    # Straight to the driver's executemany, in record-ID order: the ORM's per-row parameter handling costs more
    # than the update itself at a million records.
    statement = f"UPDATE {Record.__tablename__} SET person_id = ? WHERE id = ?"
    connection = session.connection()
    for start in range(0, changed.size, CHUNK):
        check_cancelled(progress)
        part = changed[start:start + CHUNK]
        connection.exec_driver_sql(statement, list(zip(assignment.person[part].tolist(),
                                                       frame.record_id[part].tolist(), strict=True)))
    session.execute(delete(Person).where(~Person.id.in_(select(Record.person_id).where(Record.person_id.is_not(None)))))
    logged_merges = [m for m in assignment.merges if m[1] <= linked_before]
    logged_splits = [s for s in assignment.splits if s[0] <= linked_before]
    changes = [{"run_id": run.id, "kind": "merge", "person_id": keep, "other_person_id": gone, "records": n}
               for keep, gone, n in logged_merges]
    changes += [{"run_id": run.id, "kind": "split", "person_id": stay, "other_person_id": part, "records": n}
                for stay, part, n in logged_splits]
    if changes:
        session.execute(insert(PersonChange), changes)

    progress.update(0.9, "Saving the review pairs")
    saving_persons = time.perf_counter() - started
    started = time.perf_counter()
    review_count = _save_pairs(session, frame, outcome, run.id, cannot)
    timings = {"reading": reading, **outcome.timings, "saving persons": saving_persons,
               "saving review pairs": time.perf_counter() - started}
    persons = int(np.unique(assignment.person).size)
    summary = LinkSummary(
        run_id=run.id, records=frame.records, profiles=frame.profiles, candidate_pairs=int(outcome.left.size),
        pairs_per_rule=outcome.per_rule, links=int((outcome.probabilities >= settings.link_threshold).sum()),
        refused=outcome.clusters.refused, persons=persons, review_pairs=review_count, merges=len(logged_merges),
        splits=len(logged_splits), new_persons=len(assignment.new_ids), changed_records=int(changed.size),
        timings={k: round(v, 3) for k, v in timings.items()},
    )  # fmt: skip
    run.counts = {**summary.to_json(), "max_person_id": int(assignment.person.max(initial=0))}
    session.connection().exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
    progress.update(1.0, "Linked")
    return summary


def _save_pairs(session: Session, frame: Frame, outcome: LinkOutcome, run_id: int,
                cannot: list[tuple[int, int]]) -> int:
    """Upsert the review pairs of `outcome`; earlier review pairs not asked again become `settled`."""
    review = outcome.review
    if cannot and review.size:
        labels = outcome.labels
        apart = {(min(labels[a], labels[b]), max(labels[a], labels[b])) for a, b in cannot}
        la, lb = labels[outcome.left[review]], labels[outcome.right[review]]
        keep = np.fromiter(((min(x, y), max(x, y)) not in apart for x, y in zip(la.tolist(), lb.tolist())),
                           dtype=bool, count=review.size)
        review = review[keep]
    source_ids = dict(session.execute(select(Source.name, Source.id)).all())
    rows = {}
    proofs = evidence(outcome, frame, review)
    for k, proof in zip(review.tolist(), proofs):
        ra = int(frame.first_record[outcome.left[k]])
        rb = int(frame.first_record[outcome.right[k]])
        a = (frame.record_source[ra], frame.record_key[ra], int(frame.record_id[ra]))
        b = (frame.record_source[rb], frame.record_key[rb], int(frame.record_id[rb]))
        a, b = sorted([a, b])
        pid = pair_id(a[:2], b[:2])
        rows[pid] = {
            "id": pid, "a_source_id": source_ids[a[0]], "a_source_key": a[1], "a_record_id": a[2],
            "b_source_id": source_ids[b[0]], "b_source_key": b[1], "b_record_id": b[2],
            "probability": float(outcome.probabilities[k]), "match_weight": float(outcome.weights[k]),
            "evidence": proof, "status": REVIEW, "run_id": run_id,
        }  # fmt: skip
    existing = set(session.scalars(select(Pair.id)))
    session.execute(update(Pair).where(Pair.status == REVIEW).values(status=SETTLED))
    fresh = [{**r, "first_run_id": run_id} for pid, r in rows.items() if pid not in existing]
    for start in range(0, len(fresh), CHUNK):
        session.execute(insert(Pair), fresh[start:start + CHUNK])
    again = [{**{k: v for k, v in r.items() if k != "id"}, "pid": pid} for pid, r in rows.items() if pid in existing]
    if again:
        statement = update(Pair).where(Pair.id == bindparam("pid")).values(
            {k: bindparam(k) for k in again[0] if k != "pid"})
        session.connection().execute(statement, again)
    return len(rows)
