"""Comparison levels on awkward pairs: each pair of records gets the level a careful clerk would give it."""

from __future__ import annotations

import numpy as np
import pytest

from ddj_desktop.linkage import compare
from ddj_desktop.linkage.frame import build_frame

from .helpers import row


def levels_of(a, b) -> dict[str, str]:
    frame = build_frame([a, b])
    pa, pb = int(frame.record_profile[0]), int(frame.record_profile[1])
    found = compare.compare_pairs(frame, np.array([pa]), np.array([pb]))
    by_name = {c.name: c for c in compare.COMPARISONS}
    return {name: (by_name[name].levels[v[0]] if v[0] >= 0 else "null") for name, v in found.items()}


@pytest.mark.parametrize(("a", "b", "level"), [
    ("WILLIAM", "WILLIAM", "exact"),
    ("WILLIAM", "BILL", "nickname (e.g. BILL / WILLIAM)"),
    ("JESUS", "CHUY", "nickname (e.g. BILL / WILLIAM)"),
    ("MARGARET", "PEGGY", "nickname (e.g. BILL / WILLIAM)"),
    ("CATHERINE", "CATHRINE", "close spelling (Jaro-Winkler >= 0.92)"),
    ("CHRISTOPHER", "CHRISTOPER", "close spelling (Jaro-Winkler >= 0.92)"),
    ("J", "JOHN", "similar (Jaro-Winkler >= 0.80, same sound or initial)"),
    ("MARIA", "PEDRO", "different"),
])  # fmt: skip
def test_first_name_levels(a, b, level):
    assert levels_of(row(first_name=a, last_name="SMITH"), row(first_name=b, last_name="SMITH"))["first_name"] == level


def test_goes_by_middle_name():
    found = levels_of(row(first_name="JAMES", middle_name="BRIAN", last_name="COLE"),
                      row(first_name="BRIAN", last_name="COLE"))
    assert found["first_name"] == "first name is the other's middle name"


def test_swapped_first_and_last_counts_once_on_the_last_name():
    found = levels_of(row(first_name="SUSAN", last_name="JONES"), row(first_name="JONES", last_name="SUSAN"))
    assert found["last_name"] == "first and last name swapped"
    assert found["first_name"] == "null"


@pytest.mark.parametrize(("a", "b"), [("GARCIA LOPEZ", "GARCIA"), ("GARCIA-LOPEZ", "LOPEZ"), ("DE LA CRUZ", "CRUZ")])
def test_one_part_of_a_double_or_hyphenated_surname(a, b):
    found = levels_of(row(first_name="ROSA", last_name=a), row(first_name="ROSA", last_name=b))
    assert found["last_name"] == "one part of a double or hyphenated surname"


def test_married_name_is_a_different_last_name_but_the_rest_can_carry_it():
    found = levels_of(row(first_name="ANNA", last_name="MILLER", dob="1980-02-03", ssn="123456780"),
                      row(first_name="ANNA", last_name="KOWALSKI", dob="1980-02-03", ssn="123456780"))
    assert found["last_name"] == "different"
    assert (found["dob"], found["ssn"]) == ("exact", "exact")


def test_middle_initial_and_suffix_conflict():
    found = levels_of(row(first_name="JOHN", middle_name="A", last_name="SMITH", name_suffix="JR"),
                      row(first_name="JOHN", middle_name="ALLEN", last_name="SMITH", name_suffix="SR"))
    assert found["middle_name"] == "initial agrees"
    assert found["suffix"] == "conflict (e.g. JR / SR)"
    assert levels_of(row(name_suffix="JR", last_name="X"), row(last_name="X"))["suffix"] == "null"


@pytest.mark.parametrize(("a", "b", "level"), [
    ("1987-03-05", "1987-03-05", "exact"),
    ("1987-03-05", "1987-05-03", "day and month swapped"),
    ("1987-03-05", "1988-03-05", "one year apart, same day and month"),
    ("1987-03-05", "1987-03-08", "one digit differs"),
    ("1987-03-05", "1987-03-29", "within a month"),
    ("1987-03-05", "1979-03-05", "same day and month, other year"),
    ("1987-03-05", "1962-11-21", "different"),
])  # fmt: skip
def test_dob_levels(a, b, level):
    assert levels_of(row(dob=a), row(dob=b))["dob"] == level


def test_approximate_dob_only_tells_the_year():
    assert levels_of(row(dob="1987-01-01", dob_quality="partial"), row(dob="1987-06-09"))["dob"] == \
        "same year (approximate date)"
    assert levels_of(row(dob="1987-01-01", dob_quality="partial"), row(dob="1990-06-09"))["dob"] == "different"


@pytest.mark.parametrize(("a", "b", "level"), [
    (("123456780", None), ("123456780", None), "exact"),
    (("123456780", None), ("123465780", None), "two adjacent digits swapped"),
    (("123456780", None), (None, "6780"), "last four agree (one side has only the last four)"),
    (("123456780", None), ("123456781", None), "one digit differs (siblings, e.g. twins)"),
    (("123456780", None), ("987654320", None), "different"),
    ((None, "6780"), (None, "1111"), "different"),
])  # fmt: skip
def test_ssn_levels(a, b, level):
    assert levels_of(row(ssn=a[0], ssn_last4=a[1]), row(ssn=b[0], ssn_last4=b[1]))["ssn"] == level


def test_agency_id_is_compared_within_one_source_only():
    assert levels_of(row("ed", agency_person_id="M1"), row("ed", agency_person_id="M1"))["agency_id"] == \
        "same person ID in the same source (or sources sharing IDs)"
    assert levels_of(row("ed", agency_person_id="M1"), row("ed", agency_person_id="M2"))["agency_id"] == \
        "different person IDs in the same source (or sources sharing IDs)"
    assert levels_of(row("ed", agency_person_id="M1"), row("bh", agency_person_id="M1"))["agency_id"] == "null"


def test_agency_id_across_sources_that_share_one_id_namespace():
    """Two hospitals of one health system share MRNs: the county says so, and their IDs are compared."""
    frame = build_frame([row("ed_mercy", agency_person_id="M1"), row("ed_general", agency_person_id="M1"),
                         row("bh", agency_person_id="M1")], id_namespaces=[("ed_mercy", "ed_general")])
    found = compare.compare_pairs(frame, np.array([0, 0]), np.array([1, 2]))["agency_id"]
    assert found.tolist() == [0, compare.NULL]


def test_address_and_zip():
    def pair(a: dict, b: dict) -> dict[str, str]:
        return levels_of(row("ed", **a), row("bh", **b))

    found = pair({"address": "12 Elm St", "zip": "80521"}, {"address": "12  ELM ST", "zip": "80521"})
    assert found["address"] == "same address" and found["zip"] == "same"
    found = pair({"address": "12 Elm Street", "zip": "80521"}, {"address": "12 Elm St", "zip": "80634"})
    assert found["address"].startswith("close") and found["zip"] == "different"
    assert pair({"zip": "80521"}, {"zip": "80525"})["zip"].startswith("one digit differs")
    assert pair({"zip": "80521"}, {"zip": "80512"})["zip"].startswith("one digit differs or two adjacent")
    found = pair({"address": "123 Main St"}, {"address": "123 Main St Apt 4 Fort Collins"})
    assert found["address"].startswith("one holds the other's words"), "a unit and a town left off"
    assert pair({"address": "12"}, {"address": "12 Elm St"})["address"] != "one holds the other's words", \
        "a lone house number is not an address held in another"
    assert pair({"address": "8 Cockcroft Ave Allunga"}, {"address": "8 Allunga Cockcroft Ave"})["address"].startswith(
        "close"), "the same words in another order"
    assert pair({"address": "12 Elm St"}, {"address": "901 Main Ave"})["address"] == "different"
    assert pair({"address": "12 Elm St"}, {"address": "40 Oak St"})["address"] == "different", "only ST in common"
    found = pair({"address": "18 Madigan Street Kareela"}, {"address": "18 Dexter Street Kareela Mount"})
    assert found["address"].startswith("some words in common"), "the street replaced, number and locality kept"
    found = pair({"address": "Tannamurra Toormina"}, {"address": "103 Amess Place Tannamurra Toormina"})
    assert found["address"].startswith("some words in common"), "only the locality given"


def test_missing_fields_are_null_not_disagreement():
    found = levels_of(row(first_name="ANA"), row(last_name="RUIZ"))
    assert set(found.values()) == {"null"}
