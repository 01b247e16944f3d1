"""Blocking: OR-ed rules, counted per rule, and huge blocks that do not explode."""

from __future__ import annotations

import numpy as np

from ddj_desktop.linkage import blocking
from ddj_desktop.linkage.frame import build_frame

from .helpers import row


def test_a_true_pair_with_one_bad_field_still_meets():
    frame = build_frame([
        row(first_name="MARIA", last_name="LOPEZ", dob="1990-04-02", ssn="123456780"),
        row(first_name="MARIA", last_name="LOPEZ", dob="1990-02-04"),  # DOB swapped: meets on first+last
        row(first_name="LOPEZ", last_name="MARIA"),  # names swapped, no DOB: meets on swapped names
        row(first_name="MARY", last_name="SMITH", dob="1990-04-02", ssn="123456780"),  # married: DOB, SSN
    ])  # fmt: skip
    found = blocking.candidate_pairs(frame)
    pairs = set(zip(found.left.tolist(), found.right.tolist()))
    assert {(0, 1), (0, 2), (1, 2), (0, 3)} <= pairs
    assert found.per_rule["dob"] == 1 and found.per_rule["ssn"] == 1 and found.per_rule["swapped_names"] == 3


def test_huge_blocks_are_paired_by_sorted_neighbourhood():
    keys = np.zeros(10_000, dtype=np.int64)  # everyone born the same day
    a, b = blocking.block_pairs(keys, np.arange(10_000), max_block=100, window=5)
    assert a.size == sum(min(5, 10_000 - 1 - i) for i in range(10_000))  # linear, not 50 million
    assert (a < b).all() and (b - a <= 5).all()


def test_small_blocks_pair_out_in_full_and_missing_keys_never_pair():
    keys = np.array([3, 3, 3, -1, -1, 8])
    a, b = blocking.block_pairs(keys, np.arange(6), max_block=100, window=1)
    assert sorted(zip(a.tolist(), b.tolist())) == [(0, 1), (0, 2), (1, 2)]


def test_records_without_a_dob_meet_on_address_start_or_zip_and_name_sounds():
    frame = build_frame([
        row(first_name="MADELINE", last_name="MASON", address="54 HOSEASON STREET", zip="48810"),
        row(first_name="MASNO", last_name="MADELINE", address="54 HOSEASONSTREET LAKEFRONT", zip="48180"),
        row(first_name="NICHOLAS", last_name="DONALDSON", zip="41040"),
        row(first_name="NCIHOLAS", last_name="DONALWSON", zip="41040"),
        row(first_name="ANA", last_name="RUIZ", zip="99999"),
    ])  # fmt: skip
    found = blocking.candidate_pairs(frame)
    pairs = set(zip(found.left.tolist(), found.right.tolist()))
    assert (0, 1) in pairs and found.per_rule["address_start"] == 1, "house number and street start alike"
    assert (2, 3) in pairs and found.per_rule["zip_initials"] == 1, "both names changed their sound"
    assert not {p for p in pairs if 4 in p}


def test_a_slip_at_the_start_of_an_address_still_meets_on_its_end():
    frame = build_frame([
        row(first_name="MEG", last_name="HERBERT", address="162 CALLISTER CRESCENT VILLA 2", zip="30780"),
        row(first_name="MEGAN", last_name="HEBERT", address="01 CALLISTERCRESCENT VILLA 2", zip="37080"),
        row(first_name="ANA", last_name="RUIZ", address="9 ELM ST", zip="99999"),
    ])  # fmt: skip
    found = blocking.candidate_pairs(frame)
    pairs = set(zip(found.left.tolist(), found.right.tolist()))
    assert (0, 1) in pairs and found.per_rule["address_end"] == 1, "the house number and street start differ"
    assert found.per_rule["address_start"] == 0 and not {p for p in pairs if 2 in p}
