"""The committed sample county, imported and linked as `ddj-desktop demo` does, against its truth file."""

from __future__ import annotations

import csv
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select

from ddj_desktop import demo
from ddj_desktop.store.models import Record, Source

SAMPLES = Path(__file__).resolve().parents[2] / "sample_workbooks"
# Measured 2026-11-26 on the committed county: pairwise F1 0.994, precision 0.998, recall 0.990.
F1_FLOOR = 0.985


def _pairs(labels: dict) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels.values()).values())


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    result = demo.build_sample_county(tmp_path_factory.mktemp("county"))
    with result.workspace.store.reading() as session:
        found = {(s, k): p for s, k, p in session.execute(
            select(Source.name, Record.source_key, Record.person_id).join(Source, Source.id == Record.source_id))}
    result.workspace.close()
    with (SAMPLES / "truth.csv").open(encoding="utf-8") as f:
        truth = {(r["source"], r["source_key"]): r for r in csv.DictReader(f) if r["kind"] == "person"}
    return result.linkage, found, truth


def test_pairwise_f1_against_the_truth(linked):
    summary, found, truth = linked
    assert set(found) == set(truth)
    predicted = _pairs(found)
    true = _pairs({k: t["true_person_id"] for k, t in truth.items()})
    both = _pairs({k: (found[k], t["true_person_id"]) for k, t in truth.items()})
    precision, recall = both / predicted, both / true
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= F1_FLOOR, f"precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}"
    assert summary.review_pairs < 0.02 * len(found), "the review queue stays reviewable"


def test_look_alikes_are_mostly_kept_apart(linked):
    _summary, found, truth = linked
    people_of_group: dict[str, set[str]] = {}
    for t in truth.values():
        if t["lookalike_group"]:
            people_of_group.setdefault(t["lookalike_group"], set()).add(t["true_person_id"])
    persons_of: dict[str, set[int]] = {}
    for key, t in truth.items():
        persons_of.setdefault(t["true_person_id"], set()).add(found[key])
    look_alike_pairs = merged = 0
    for people in people_of_group.values():
        for a, b in combinations(sorted(people), 2):
            look_alike_pairs += 1
            merged += bool(persons_of[a] & persons_of[b])
    assert look_alike_pairs >= 30
    assert merged <= 0.05 * look_alike_pairs, f"{merged} of {look_alike_pairs} look-alike pairs merged"
