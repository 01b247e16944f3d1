"""Clustering refuses to chain strangers, honours reviewer decisions, and keeps persons whole otherwise."""

from __future__ import annotations

import numpy as np

from ddj_desktop.linkage.cluster import _greedy, cluster, dob_conflict, persons_conflict, ssn_conflict
from ddj_desktop.linkage.frame import build_frame

from .helpers import row


def _cluster(frame, links, **kw):
    left = np.array([a for a, _b, _w in links])
    right = np.array([b for _a, b, _w in links])
    strength = np.array([w for _a, _b, w in links], dtype=float)
    return cluster(frame, left, right, strength, **kw).labels.tolist()


def test_a_chain_through_a_record_without_ssn_does_not_join_two_ssns():
    frame = build_frame([
        row(first_name="MARIA", last_name="GARCIA", dob="1980-01-02", ssn="111223333"),
        row(first_name="MARIA", last_name="GARCIA", dob="1980-01-02"),
        row(first_name="MARIA", last_name="GARCIA", dob="1980-01-02", ssn="444556666"),
    ])  # fmt: skip
    labels = _cluster(frame, [(0, 1, 20.0), (1, 2, 19.0)])
    assert labels[0] == labels[1] != labels[2]


def test_father_and_son_are_not_merged_through_a_suffixless_record():
    frame = build_frame([
        row(first_name="JOHN", last_name="SMITH", name_suffix="JR", dob="1990-05-06"),
        row(first_name="JOHN", last_name="SMITH"),
        row(first_name="JOHN", last_name="SMITH", name_suffix="SR"),
    ])  # fmt: skip
    labels = _cluster(frame, [(0, 1, 10.0), (1, 2, 9.0)])
    assert labels[0] == labels[1] != labels[2]


def test_clearly_different_dates_of_birth_with_the_same_name_stay_apart():
    frame = build_frame([
        row(first_name="ANA", last_name="RUIZ", dob="1961-02-03"),
        row(first_name="ANA", last_name="RUIZ"),
        row(first_name="ANA", last_name="RUIZ", dob="1988-10-20"),
    ])  # fmt: skip
    labels = _cluster(frame, [(0, 1, 8.0), (1, 2, 7.0)])
    assert labels[0] == labels[1] != labels[2]


def test_typos_are_not_conflicts():
    assert not ssn_conflict(123456789, 123457689)  # adjacent digits swapped
    assert ssn_conflict(123456789, 123456788)  # one digit: siblings
    assert not dob_conflict(19870305, 19870503)  # day and month swapped
    assert not dob_conflict(19870305, 19880305)  # one year off
    assert not dob_conflict(19870305, 19870306)
    assert dob_conflict(19870305, 19620305 + 16)


def test_two_typo_variants_of_one_ssn_still_join_the_true_one():
    frame = build_frame([
        row(first_name="DOUG", last_name="HAWKINS", ssn="605413965"),
        row(first_name="DOUG", last_name="HAWKINS", ssn="605419365"),  # a swap of the true one
        row(first_name="DOUG", last_name="HAWKINS", ssn="605143965"),  # another swap of the true one
    ])  # fmt: skip
    assert len(set(_cluster(frame, [(0, 1, 10.0), (0, 2, 9.0)]))) == 1


def test_reviewer_decisions_bind():
    frame = build_frame([row("jail", first_name="A", last_name="B"), row("ed", first_name="A", last_name="B"),
                         row(first_name="C", last_name="D")])
    labels = _cluster(frame, [(0, 1, 30.0)], cannot_link=[(0, 1)], must_link=[(1, 2)])
    assert labels[0] != labels[1] == labels[2]


def test_review_questions_are_not_asked_about_persons_the_clustering_would_keep_apart():
    frame = build_frame([
        row(first_name="MARIA", last_name="GARCIA", dob="1980-01-02", ssn="111223333"),
        row(first_name="MARIA", last_name="GARCIA", dob="1980-01-02", ssn="444556666"),
        row(first_name="MARIA", last_name="GARCIA", dob="1980-01-02"),
        row(first_name="MARY", last_name="GARCIA", dob="1980-02-01", ssn="111223333"),
    ])  # fmt: skip
    labels = np.arange(frame.profiles)
    refused = persons_conflict(frame, labels, np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert refused.tolist() == [True, False, False], "two SSNs: no question; no SSN or a nickname: ask"


def test_taking_conflict_free_persons_whole_gives_what_the_strongest_first_loop_gives():
    rng = np.random.default_rng(3)
    firsts, lasts = ["ANA", "ANNA", "JOSE", "JOE", "MARIA"], ["LOPEZ", "LOPES", "RUIZ"]

    def pick(options: list):
        return options[int(rng.integers(len(options)))]

    rows = [row(first_name=pick(firsts), last_name=pick(lasts),
                dob=pick(["1980-01-02", "1980-02-01", "1975-06-30", None]),
                ssn=pick(["111223333", "111223338", None, None, None]),
                name_suffix=pick(["JR", "SR", None, None, None])) for _ in range(300)]
    frame = build_frame(rows)
    n = frame.profiles
    left, right = rng.integers(0, n, 600), rng.integers(0, n, 600)
    keep = left < right
    left, right = left[keep], right[keep]
    strength = rng.random(left.size) * 30
    fast = cluster(frame, left, right, strength)
    slow = _greedy(frame, left, right, strength, [], [], True)
    assert slow.refused > 0 and len(set(slow.labels.tolist())) > 1, "the data holds conflicts to refuse"
    assert fast.labels.tolist() == slow.labels.tolist() and fast.refused == slow.refused


def test_a_person_whose_names_were_entered_swapped_is_not_taken_for_a_twin():
    frame = build_frame([
        row(first_name="ISABELLE", last_name="KAMINSKAS", dob="1990-03-04"),
        row(first_name="ISABELLE", last_name="KAMINSKAS", dob="1990-03-04", source="ed"),
        row(first_name="KAMINSKAS", last_name="ISABELLE", dob="1990-03-04"),
        row(first_name="KAMINSKAS", last_name="ISABELE", dob="1990-03-04"),
    ])  # fmt: skip
    labels = _cluster(frame, [(0, 1, 30.0), (2, 3, 30.0), (0, 2, 20.0)])
    assert len(set(labels)) == 1


def test_twins_stay_apart_even_when_one_twin_has_a_record_with_the_names_swapped():
    frame = build_frame([
        row(first_name="JOSE", last_name="GARCIA", dob="1990-03-04"),
        row(first_name="GARCIA", last_name="JOSE", dob="1990-03-04"),
        row(first_name="ANA", last_name="GARCIA", dob="1990-03-04"),
        row(first_name="ANA", last_name="GARCIA", dob="1990-03-04", source="ed"),
    ])  # fmt: skip
    labels = _cluster(frame, [(0, 1, 30.0), (2, 3, 30.0), (0, 2, 20.0)])
    assert labels[0] == labels[1] != labels[2] == labels[3]


def test_records_under_two_unrelated_first_names_once_each_are_not_taken_for_twins():
    """A first name keyed wrong once (CONNOR / OLIVIA SHEPHERD, same DOB and address) is no twin: twins are each
    known under their own first name on two records or more."""
    frame = build_frame([
        row(first_name="CONNOR", last_name="SHEPHERD", dob="1932-09-07"),
        row(first_name="STILRING", last_name="SHEPHERD", dob="1932-09-07", source="ed"),
        row(first_name="OLIVIA", last_name="SHEPHERD", dob="1932-09-07", source="ems"),
        row(first_name="OLIVIA", last_name="SHEPHERD", dob="1932-09-07", source="bh"),
    ])  # fmt: skip
    labels = _cluster(frame, [(0, 1, 30.0), (2, 3, 30.0), (0, 2, 20.0)])
    assert len(set(labels)) == 1
    twins = build_frame([
        row(first_name="CONNOR", last_name="SHEPHERD", dob="1932-09-07"),
        row(first_name="CONNOR", last_name="SHEPHERD", dob="1932-09-07", source="ed"),
        row(first_name="OLIVIA", last_name="SHEPHERD", dob="1932-09-07", source="ems"),
        row(first_name="OLIVIA", last_name="SHEPHERD", dob="1932-09-07", source="bh"),
    ])  # fmt: skip
    labels = _cluster(twins, [(0, 1, 30.0), (2, 3, 30.0), (0, 2, 20.0)])
    assert labels[0] == labels[1] != labels[2] == labels[3]
