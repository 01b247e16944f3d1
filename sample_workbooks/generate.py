#!/usr/bin/env python3
"""The sample county: synthetic agency exports of one made-up county, with the truth about who is who.

    python sample_workbooks/generate.py --out DIR [--people N] [--seed S]

or, from a benchmark, load this file by path and call ``generate(out_dir, people=..., seed=...)``.
Standalone on purpose: stdlib + openpyxl only, no import of ddj_desktop, so the data cannot bend to the
code that reads it. Deterministic: one ``random.Random`` per concern, seeded from ``seed``; CSVs are
byte-identical across runs and xlsx files too (fixed workbook timestamps and zip entry dates).

Every file imitates what a real agency sends (see README.md); the mess is on purpose.

NOISE RATES — fixed. Linkage is tuned and measured against them; changing one silently moves every
linkage benchmark. Each rate is per record (one rendering of a person's identity in one row), among the
records *eligible* for that error (e.g. a nickname needs a first name that has one):
"""

import argparse
import csv
import datetime as dt
import os
import re
import shutil
import unicodedata
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# ---------------------------------------------------------------------------------------------- noise rates
NAME_TYPO_RATE = 0.04  # one keyboard slip (substitute, drop, double, transpose) in the first or last name
NICKNAME_RATE = 0.12  # of records whose first name has a nickname: Bill for William, Chuy for Jesús
GOES_BY_MIDDLE_NAME_RATE = 0.04  # of records of people with a middle name: the middle name as first
SWAPPED_FIRST_LAST_RATE = 0.01  # first and last name entered in each other's fields
MAIDEN_NAME_RATE = 0.35  # of records of women who took a married surname: the record has the old one
ONE_PART_OF_DOUBLE_SURNAME_RATE = 0.40  # of records of people with "García López": only one part given
SUFFIX_DROPPED_RATE = 0.50  # of records of people with Jr/Sr/III: the suffix is left off
DOB_MISSING_RATE = 0.03
DOB_PLACEHOLDER_RATE = 0.005  # 1900-01-01 typed to get past a required field
DOB_DAY_MONTH_SWAP_RATE = 0.03  # of records whose DOB day is 1-12 and differs from the month
DOB_YEAR_OFF_RATE = 0.01  # one year more or less
DOB_DIGIT_TYPO_RATE = 0.01  # one digit of YYYYMMDD wrong (still a valid date)
SSN_MISSING_RATE = 0.20  # of records in sources that collect SSN, of people who have one
SSN_PARTIAL_RATE = 0.06  # last four only; only where the export can say so (jail, HMIS)
SSN_TRANSPOSED_RATE = 0.02  # two adjacent digits swapped
SSN_FAKE_RATE = 0.01  # 123456789, 000-xx-xxxx, 999999999, 111111111, 078051120
HMIS_STREET_NAME_RATE = 0.02  # HMIS only: a street name ("Red"), NameDataQuality 2
HMIS_APPROXIMATE_DOB_RATE = 0.03  # HMIS only: DOB as January 1 of the year, DOBDataQuality 2
EMS_NAME_REFUSED_RATE = 0.01  # EMS only: patient refused to give a name, NEMSIS 8801019

NOISE_RATES = {
    "name_typo": NAME_TYPO_RATE,
    "nickname": NICKNAME_RATE,
    "goes_by_middle_name": GOES_BY_MIDDLE_NAME_RATE,
    "swapped_first_last": SWAPPED_FIRST_LAST_RATE,
    "maiden_name": MAIDEN_NAME_RATE,
    "one_part_of_double_surname": ONE_PART_OF_DOUBLE_SURNAME_RATE,
    "suffix_dropped": SUFFIX_DROPPED_RATE,
    "dob_missing": DOB_MISSING_RATE,
    "dob_placeholder": DOB_PLACEHOLDER_RATE,
    "dob_day_month_swap": DOB_DAY_MONTH_SWAP_RATE,
    "dob_year_off": DOB_YEAR_OFF_RATE,
    "dob_digit_typo": DOB_DIGIT_TYPO_RATE,
    "ssn_missing": SSN_MISSING_RATE,
    "ssn_partial": SSN_PARTIAL_RATE,
    "ssn_transposed": SSN_TRANSPOSED_RATE,
    "ssn_fake": SSN_FAKE_RATE,
    "street_name": HMIS_STREET_NAME_RATE,
    "dob_approximate": HMIS_APPROXIMATE_DOB_RATE,
    "name_refused": EMS_NAME_REFUSED_RATE,
}

# ----------------------------------------------------------------------------------------- population shape
COUNTY = "Juniper County"
REFERENCE_DATE = dt.date(2026, 6, 30)  # the export date; events cover the five years before it
YEARS_OF_EVENTS = 5
DEFAULT_PEOPLE = 1500
DEFAULT_SEED = 20260630
XLSX_TIMESTAMP = dt.datetime(2026, 7, 1, 6, 0, 0)  # workbook created/modified and zip entry dates

FREQUENT_UTILIZER_SHARE = 0.15  # cycle through 3-7 systems, many times each
OCCASIONAL_SHARE = 0.30  # one or two systems, a few times; everyone else: one contact
DOUBLE_SURNAME_SHARE = 0.35  # of Hispanic people
HYPHENATED_SURNAME_SHARE = 0.02
MARRIED_NAME_CHANGE_SHARE = 0.25  # of women 22 and older without a double surname
NO_SSN_SHARE = 0.04  # people who never had one: always blank, not counted as noise
TRANSGENDER_SHARE = 0.006
AGENCY_DUPLICATE_ID_RATE = 0.03  # of people per source who got a second agency ID (duplicate master record)
LOOKALIKE_GROUPS_PER_1000 = 10  # of each kind: twins, Jr/Sr, namesakes born the same year
HMIS_DELETED_ENROLLMENT_RATE = 0.01  # DateDeleted set: entered twice, one deleted
HMIS_DELETED_CLIENT_RATE = 0.02  # duplicate Client rows deleted after a merge (no enrollments)
HMIS_VICTIM_SERVICE_SHARE = 0.03  # of shelter enrollments by women: a DV provider's (must be refused)
JAIL_PAGE_ROWS = 500  # the booking report repeats its header after a blank row every page

# Where each source's events go, for people who touch few systems (weights) and for frequent utilizers
# (chance of the system, range of contacts in it).
SOURCES = ("jail", "police", "ems", "ed", "bh", "shelter", "court", "probation")
SINGLE_CONTACT_WEIGHTS = {"ed": 30, "police": 20, "ems": 15, "jail": 12, "court": 10, "bh": 6,
                          "shelter": 5, "probation": 2}
FREQUENT_SOURCES = {"jail": (0.9, 3, 12), "ed": (0.9, 3, 20), "ems": (0.8, 2, 15), "shelter": (0.7, 1, 6),
                    "police": (0.7, 2, 10), "court": (0.6, 1, 6), "bh": (0.6, 2, 12), "probation": (0.4, 1, 3)}

# --------------------------------------------------------------------------------------------------- names
# Weights follow the 2010 census surname counts roughly; the point is that SMITH is common and VIGIL is not.
WHITE_SURNAMES = [
    ("Smith", 828), ("Johnson", 655), ("Williams", 550), ("Brown", 484), ("Jones", 482), ("Miller", 393),
    ("Davis", 381), ("Wilson", 272), ("Anderson", 260), ("Thomas", 252), ("Taylor", 245), ("Moore", 239),
    ("Martin", 234), ("Thompson", 216), ("White", 214), ("Clark", 183), ("Lewis", 175), ("Walker", 171),
    ("Young", 158), ("Allen", 155), ("King", 153), ("Wright", 152), ("Scott", 141), ("Hill", 138),
    ("Green", 130), ("Adams", 127), ("Baker", 123), ("Nelson", 120), ("Carter", 118), ("Mitchell", 117),
    ("Campbell", 110), ("Roberts", 109), ("Phillips", 99), ("Evans", 98), ("Turner", 97), ("Parker", 96),
    ("Collins", 89), ("Edwards", 88), ("Stewart", 88), ("Morris", 87), ("Murphy", 85), ("Cook", 84),
    ("Rogers", 83), ("Morgan", 82), ("Cooper", 81), ("Peterson", 80), ("Reed", 78), ("Bailey", 77),
    ("Kelly", 72), ("Howard", 71), ("O'Brien", 40), ("O'Connor", 35), ("McDonald", 45), ("McKenzie", 15),
    ("Van Dyke", 8), ("St. John", 6), ("Schmidt", 30), ("Kowalski", 12), ("Olson", 40), ("Larson", 30),
]


def _rare(names: str, weight: int) -> list[tuple[str, int]]:
    """Many surnames of one small weight each, from a space-separated list."""
    return [(name, weight) for name in names.split()]


# A long tail, so SMITH is common (~4%) without being everyone; a real county is flatter still (~1%).
WHITE_TAIL = _rare(
    "Abbott Ackerman Aldridge Barker Barnett Bauer Becker Benson Bishop Blackburn Bowman Boyd Bradley Brennan "
    "Briggs Burke Burns Caldwell Carlson Carr Chandler Christensen Cobb Conway Crawford Cunningham Dalton Dawson "
    "Decker Dixon Doyle Duncan Dunn Eriksen Farrell Fischer Fitzgerald Fleming Fowler Franklin Gallagher "
    "Garrison Gibbs Gilbert Goodwin Graves Hahn Hale Hansen Hardy Harmon Hawkins Hayes Hendricks Hoffman "
    "Holland Hopkins Houston Hubbard Ingram Jensen Kaufman Keller Kennedy Klein Knudsen Lambert Lindquist Lowe "
    "Lynch MacLeod Mann Marsh McCarthy McGuire Meyer Mueller Nash Newman O'Neill Osborne Pearson Pruitt Quinn "
    "Reynolds Rhodes Riley Schneider Shaw Sherman Sorensen Stone Strickland Sullivan Swanson Thornton Underwood "
    "Vaughn Wagner Walsh Warner Weaver Webb Wheeler Whitaker Wolfe Yoder Zimmerman", 40)
WHITE_SURNAMES += WHITE_TAIL
# Slavic surnames take a feminine form; the census does not, our people do.
SLAVIC_SURNAMES = [("Ďurko", "Ďurková", 6), ("Novák", "Nováková", 6), ("Horváth", "Horváthová", 5)]
HISPANIC_SURNAMES = [
    ("García", 394), ("Rodríguez", 374), ("Martínez", 371), ("Hernández", 365), ("López", 301),
    ("González", 289), ("Pérez", 221), ("Sánchez", 203), ("Ramírez", 181), ("Torres", 140), ("Flores", 137),
    ("Rivera", 130), ("Gómez", 120), ("Díaz", 115), ("Núñez", 40), ("Peña", 35), ("Muñoz", 60),
    ("Ibáñez", 10), ("Jiménez", 70), ("Gutiérrez", 75), ("Chávez", 80), ("Ramos", 60), ("Ruiz", 60),
    ("Álvarez", 55), ("Castillo", 55), ("Romero", 60), ("Vásquez", 50), ("Mendoza", 50), ("Ortiz", 55),
    ("Morales", 60), ("Delgado", 35), ("Aguilar", 40), ("Vigil", 15), ("Baca", 12), ("Trujillo", 20),
    ("Montoya", 20), ("Archuleta", 10), ("De La Cruz", 20), ("De Jesús", 10), ("Del Toro", 5),
]
HISPANIC_SURNAMES += _rare(
    "Acosta Alarcón Arellano Ávila Barrera Bustamante Cárdenas Carrillo Cervantes Contreras Córdova Domínguez "
    "Escobar Espinoza Estrada Fuentes Gallegos Guerrero Ibarra Lozano Maldonado Márquez Medina Mejía Miranda "
    "Molina Navarro Ochoa Orozco Pacheco Quintana Ríos Salazar Sandoval Serrano Solís Tapia Valdez Valenzuela "
    "Zamora", 25)
BLACK_SURNAMES = [
    ("Williams", 300), ("Johnson", 300), ("Jackson", 200), ("Brown", 200), ("Jones", 200), ("Davis", 150),
    ("Harris", 120), ("Robinson", 110), ("Washington", 90), ("Jefferson", 40), ("Banks", 35), ("Booker", 20),
    ("Mosley", 20), ("Gaines", 20), ("Freeman", 30), ("Coleman", 40), ("Smith", 300),
]
BLACK_SURNAMES += [(name, 25) for name, _ in WHITE_TAIL]
NATIVE_SURNAMES = [("Begay", 30), ("Yazzie", 25), ("Benally", 20), ("Tsosie", 15), ("Nez", 15), ("Chee", 12),
                   ("Etsitty", 5), ("Lente", 5), ("Lucero", 10), ("Harjo", 8)]
ASIAN_SURNAMES = [("Nguyen", 139), ("Tran", 60), ("Le", 50), ("Pham", 40), ("Kim", 60), ("Lee", 80),
                  ("Vang", 25), ("Xiong", 20), ("Chen", 40), ("Patel", 40)]

MALE_FIRST = ["James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
              "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua",
              "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
              "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Lawrence", "Justin", "Scott",
              "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Francis", "Raymond",
              "Gerald", "Tyler", "Aaron", "Henry", "Douglas", "Peter", "Zachary", "Kyle", "Nathan", "Walter"]
FEMALE_FIRST = ["Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
                "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
                "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon",
                "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Anna", "Brenda", "Pamela", "Emma", "Nicole",
                "Helen", "Samantha", "Katherine", "Christine", "Rachel", "Janet", "Catherine", "Heather",
                "Victoria", "Alexandra", "Zoë"]
HISPANIC_MALE_FIRST = ["José", "Juan", "Luis", "Carlos", "Jesús", "Francisco", "Miguel", "Antonio", "Alejandro",
                       "Manuel", "Ricardo", "Jorge", "Roberto", "Ignacio", "Enrique", "Raúl", "Javier", "Eduardo",
                       "Fernando", "Pedro", "Rafael", "Sergio", "Guillermo", "Alberto"]
HISPANIC_FEMALE_FIRST = ["María", "Guadalupe", "Ana", "Rosa", "Carmen", "Juana", "Josefina", "Adriana",
                         "Gabriela", "Verónica", "Alejandra", "Leticia", "Yolanda", "Mónica", "Elizabeth",
                         "Patricia", "Teresa", "Sofía", "Lucía", "Dolores", "Concepción", "Rosario"]
BLACK_MALE_FIRST = ["DeShawn", "Tyrone", "Marcus", "Darnell", "Jamal", "Andre", "Terrell", "Malik"]
BLACK_FEMALE_FIRST = ["Keisha", "LaToya", "Ebony", "Tamika", "Shanice", "Aaliyah", "Imani"]
ASIAN_MALE_FIRST = ["Minh", "Tuan", "Hung", "Kou", "Jin", "Raj"]
ASIAN_FEMALE_FIRST = ["Linh", "Hoa", "Mai", "Anh", "Pa", "Priya"]
STREET_NAMES = ["Red", "Tex", "Smoke", "Shorty", "Preacher", "Cowboy", "Bear", "Sunshine", "Spider", "Boots"]

# Formal name -> what people are called. The linkage team keeps its own nickname list; this one only makes
# the records, so it may (and should) contain pairs their list lacks.
NICKNAMES = {
    "William": ["Bill", "Billy", "Will", "Willie"], "Robert": ["Bob", "Bobby", "Rob"],
    "Richard": ["Rick", "Rich", "Dick"], "James": ["Jim", "Jimmy", "Jamie"], "John": ["Johnny", "Jack"],
    "Michael": ["Mike"], "Joseph": ["Joe", "Joey"], "Thomas": ["Tom", "Tommy"], "Charles": ["Chuck", "Charlie"],
    "Christopher": ["Chris"], "Daniel": ["Dan", "Danny"], "Matthew": ["Matt"], "Anthony": ["Tony"],
    "Steven": ["Steve"], "Andrew": ["Andy", "Drew"], "Joshua": ["Josh"], "Kenneth": ["Ken", "Kenny"],
    "Timothy": ["Tim"], "Ronald": ["Ron", "Ronnie"], "Edward": ["Ed", "Eddie", "Ted"], "Jeffrey": ["Jeff"],
    "Nicholas": ["Nick"], "Jonathan": ["Jon"], "Stephen": ["Steve"], "Lawrence": ["Larry"],
    "Benjamin": ["Ben"], "Samuel": ["Sam"], "Gregory": ["Greg"], "Alexander": ["Alex"], "Patrick": ["Pat"],
    "Francis": ["Frank"], "Raymond": ["Ray"], "Gerald": ["Jerry"], "Zachary": ["Zach"], "Nathan": ["Nate"],
    "Walter": ["Walt"], "Douglas": ["Doug"], "Peter": ["Pete"], "Elizabeth": ["Liz", "Beth", "Betty"],
    "Margaret": ["Peggy", "Maggie"], "Patricia": ["Pat", "Patty", "Trish"], "Jennifer": ["Jen", "Jenny"],
    "Susan": ["Sue"], "Jessica": ["Jess"], "Kimberly": ["Kim"], "Deborah": ["Debbie", "Deb"],
    "Rebecca": ["Becky"], "Katherine": ["Kate", "Kathy", "Katie"], "Kathleen": ["Kathy"],
    "Catherine": ["Cathy"], "Samantha": ["Sam"], "Christine": ["Chris"], "Pamela": ["Pam"],
    "Victoria": ["Vicky"], "Alexandra": ["Alex"], "Cynthia": ["Cindy"], "Dorothy": ["Dottie"],
    "Amanda": ["Mandy"], "Stephanie": ["Steph"], "Melissa": ["Missy"], "Barbara": ["Barb"],
    "Sandra": ["Sandy"], "Jesús": ["Chuy"], "José": ["Pepe"], "Francisco": ["Paco", "Pancho"],
    "Guadalupe": ["Lupe"], "Ignacio": ["Nacho"], "Enrique": ["Kike"], "Alejandro": ["Alex"],
    "Roberto": ["Beto"], "Alberto": ["Beto"], "Manuel": ["Manny"], "Eduardo": ["Lalo"], "Antonio": ["Tony"],
    "Rafael": ["Rafa"], "Guillermo": ["Memo"], "Concepción": ["Concha"], "Dolores": ["Lola"],
    "Rosario": ["Chayo"],
}

# group: (share of the county, race code as the jail writes it, surnames, male firsts, female firsts)
ETHNIC_GROUPS = {
    "white": (0.55, "W", WHITE_SURNAMES, MALE_FIRST, FEMALE_FIRST),
    "hispanic": (0.28, "H", HISPANIC_SURNAMES, HISPANIC_MALE_FIRST, HISPANIC_FEMALE_FIRST),
    "black": (0.10, "B", BLACK_SURNAMES, BLACK_MALE_FIRST + MALE_FIRST[:20], BLACK_FEMALE_FIRST + FEMALE_FIRST[:20]),
    "native": (0.04, "I", NATIVE_SURNAMES, MALE_FIRST[:30], FEMALE_FIRST[:30]),
    "asian": (0.03, "A", ASIAN_SURNAMES, ASIAN_MALE_FIRST + MALE_FIRST[:10], ASIAN_FEMALE_FIRST + FEMALE_FIRST[:10]),
}

WINDOW_START = dt.datetime.combine(REFERENCE_DATE, dt.time()) - dt.timedelta(days=365 * YEARS_OF_EVENTS + 1)
WINDOW_END = dt.datetime.combine(REFERENCE_DATE, dt.time(23, 59, 59))
WINDOW_SECONDS = int((WINDOW_END - WINDOW_START).total_seconds())
PLACEHOLDER_DOB = dt.date(1900, 1, 1)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
KEY_SPREAD = 10_000_000  # an event is one int: seconds since WINDOW_START * KEY_SPREAD + person index


# ------------------------------------------------------------------------------------------------ the people
@dataclass(slots=True)
class Person:
    person_id: str
    sex: str  # F / M
    group: str
    first: str
    middle: str
    last: str
    suffix: str  # "", "Jr", "Sr", "III"
    dob: dt.date
    ssn: str  # nine digits, or "" for someone who never had one
    double_surname: bool = False
    maiden: str = ""  # the surname before marriage, for women who changed it
    transgender: bool = False
    homeless: bool = False
    serious_mental_illness: bool = False
    substance_use: bool = False
    veteran: bool = False
    tier: str = "single"  # frequent / occasional / single
    lookalike_group: str = ""
    lookalike_kind: str = ""  # twin / jr_sr / namesake
    forced_sources: tuple[str, ...] = ()
    hospital: str = "mercy"


@dataclass(frozen=True)
class GenerationSummary:
    """What generate() wrote: file names (relative to out_dir) with their data-row counts, and the noise."""

    out_dir: Path
    seed: int
    people: int
    rows_by_file: dict[str, int]  # rows that are records (people's and test rows), not titles/blank/footers
    records_by_source: dict[str, int]  # truth rows per source
    key_column_by_file: dict[str, str]
    noise_applied: dict[str, int]
    noise_eligible: dict[str, int]
    truth_file: str = "truth.csv"
    people_file: str = "truth_people.csv"

    @property
    def total_rows(self) -> int:
        return sum(self.rows_by_file.values())

    def files(self) -> list[str]:
        """Every file written, relative to out_dir, truth files included."""
        return sorted([*self.rows_by_file, self.truth_file, self.people_file])


def _weighted(rng: Random, pairs):
    """Pick from [(value, weight), ...]."""
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


def _zipf_pick(rng: Random, names: list[str]) -> str:
    """Earlier names in a list are more common (lists are ordered by frequency)."""
    return rng.choices(names, weights=[1 / (i + 4) for i in range(len(names))])[0]


def _new_ssn(rng: Random, taken: set[str]) -> str:
    """A valid-looking SSN (area not 000/666/9xx, group and serial not zero) nobody else has."""
    while True:
        area = rng.randint(1, 899)
        if area == 666:
            continue
        ssn = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if ssn not in taken:
            taken.add(ssn)
            return ssn


def _adult_dob(rng: Random, youngest: int = 18, oldest: int = 75) -> dt.date:
    """Adults skew to 25-50, as the people who cycle through jail and ED do."""
    age = min(oldest, max(youngest, int(rng.triangular(youngest, oldest, 32))))
    return REFERENCE_DATE - dt.timedelta(days=age * 365 + rng.randrange(365))


def _surname(rng: Random, group: str, sex: str) -> tuple[str, bool]:
    """A surname for someone of `group`; True when it is a Hispanic double surname."""
    surnames = ETHNIC_GROUPS[group][2]
    if group == "white" and rng.random() < 0.03:
        male, female, _ = rng.choice(SLAVIC_SURNAMES)
        return (female if sex == "F" else male), False
    last = _weighted(rng, surnames)
    if group == "hispanic" and rng.random() < DOUBLE_SURNAME_SHARE:
        second = _weighted(rng, surnames)
        if second != last and " " not in last and " " not in second:
            return f"{last} {second}", True
    if rng.random() < HYPHENATED_SURNAME_SHARE:
        other = _weighted(rng, WHITE_SURNAMES)
        if other != last:
            return f"{last}-{other}", False
    return last, False


def _first_names(rng: Random, group: str, sex: str) -> tuple[str, str]:
    """First and middle name; a quarter of people have no middle name on file."""
    pool = ETHNIC_GROUPS[group][3 if sex == "M" else 4]
    first = _zipf_pick(rng, pool)
    middle = ""
    if rng.random() < 0.75:
        middle = _zipf_pick(rng, pool)
        if middle == first:
            middle = ""
    return first, middle


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _make_person(rng: Random, index: int, ssns: set[str]) -> Person:
    group = _weighted(rng, [(g, spec[0]) for g, spec in ETHNIC_GROUPS.items()])
    sex = "F" if rng.random() < 0.42 else "M"  # these systems see more men than women
    first, middle = _first_names(rng, group, sex)
    last, double = _surname(rng, group, sex)
    if group == "hispanic" and rng.random() < 0.35:  # Americanized spelling, no accents, at birth
        first, middle, last = _strip_accents(first), _strip_accents(middle), _strip_accents(last)
    person = Person(
        person_id=f"P{index + 1:06d}", sex=sex, group=group, first=first, middle=middle, last=last,
        suffix="", dob=_adult_dob(rng), ssn="" if rng.random() < NO_SSN_SHARE else _new_ssn(rng, ssns),
        double_surname=double, transgender=rng.random() < TRANSGENDER_SHARE, veteran=rng.random() < 0.07,
    )
    age = (REFERENCE_DATE - person.dob).days // 365
    if sex == "F" and not double and age >= 22 and rng.random() < MARRIED_NAME_CHANGE_SHARE:
        person.maiden = person.last
        person.last, _ = _surname(rng, "white" if rng.random() < 0.7 else group, "F")
        if person.last == person.maiden:
            person.maiden = ""
    return person


def _assign_tier(rng: Random, person: Person) -> None:
    """Frequent utilizers are more often homeless, mentally ill and using; that is why they cycle."""
    u = rng.random()
    person.tier = "frequent" if u < FREQUENT_UTILIZER_SHARE else (
        "occasional" if u < FREQUENT_UTILIZER_SHARE + OCCASIONAL_SHARE else "single")
    frequent = person.tier == "frequent"
    person.homeless = rng.random() < (0.6 if frequent else 0.08)
    person.serious_mental_illness = rng.random() < (0.35 if frequent else 0.06)
    person.substance_use = rng.random() < (0.55 if frequent else 0.12)
    person.hospital = "mercy" if rng.random() < 0.6 else "county_general"


# ---------------------------------------------------------------------------------------------- look-alikes
def _make_twins(rng: Random, people: list[Person], start: int, number: int, ssns: set[str]) -> None:
    """Twins: same surname and DOB, different first names, SSNs one serial number apart."""
    for g in range(number):
        a, b = people[start + 2 * g], people[start + 2 * g + 1]
        b.group, b.last, b.double_surname, b.maiden, b.dob = a.group, a.last, a.double_surname, "", a.dob
        a.maiden = ""
        while b.first == a.first:
            b.first, b.middle = _first_names(rng, b.group, b.sex)
        if a.ssn:
            serial = int(a.ssn[5:])
            twin_ssn = f"{a.ssn[:5]}{serial + 1 if serial < 9999 else serial - 1:04d}"
            if twin_ssn not in ssns:
                ssns.add(twin_ssn)
                b.ssn = twin_ssn
        _tag_group(rng, [a, b], f"TWIN-{g + 1:03d}", "twin")


def _make_juniors(rng: Random, people: list[Person], start: int, number: int) -> None:
    """Father and son: same first, middle and last name, Sr and Jr, born 20-35 years apart."""
    for g in range(number):
        son, father = people[start + 2 * g], people[start + 2 * g + 1]
        son.sex = father.sex = "M"
        son.first, son.middle = _first_names(rng, son.group, "M")
        son.maiden = father.maiden = ""
        father.group, father.first, father.middle, father.last = son.group, son.first, son.middle, son.last
        father.double_surname = son.double_surname
        son.dob = _adult_dob(rng, 18, 40)
        father.dob = son.dob - dt.timedelta(days=rng.randint(20 * 365, 35 * 365))
        son.suffix, father.suffix = "Jr", "Sr"
        _tag_group(rng, [son, father], f"JRSR-{g + 1:03d}", "jr_sr")


COMMON_NAMES = [("John", "Smith", "M", "white"), ("James", "Johnson", "M", "white"),
                ("Michael", "Williams", "M", "black"), ("Robert", "Brown", "M", "white"),
                ("David", "Jones", "M", "white"), ("Jennifer", "Miller", "F", "white"),
                ("Mary", "Davis", "F", "white"), ("Maria", "Garcia", "F", "hispanic"),
                ("José", "Hernández", "M", "hispanic"), ("Juan", "Martínez", "M", "hispanic"),
                ("Luis", "Rodríguez", "M", "hispanic"), ("Minh", "Nguyen", "M", "asian")]


def _make_namesakes(rng: Random, people: list[Person], start: int, number: int) -> list[int]:
    """Two or three unrelated people with a common name, born the same year; returns the indexes used."""
    used = []
    at = start
    for g in range(number):
        first, last, sex, group = COMMON_NAMES[g % len(COMMON_NAMES)]
        size = 3 if rng.random() < 0.25 else 2
        members = people[at:at + size]
        year = _adult_dob(rng).year
        for m in members:
            m.first, m.last, m.sex, m.group = first, last, sex, group
            m.suffix, m.maiden, m.double_surname = "", "", False
            m.middle = _first_names(rng, group, sex)[1]
            m.dob = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        _tag_group(rng, members, f"NAMESAKE-{g + 1:03d}", "namesake")
        used.extend(range(at, at + size))
        at += size
    return used


def _tag_group(rng: Random, members: list[Person], group: str, kind: str) -> None:
    """Look-alikes share two or three systems, so linkage meets them side by side in more than one source."""
    shared = tuple(rng.sample(list(SOURCES), 2 + (rng.random() < 0.5)))
    for m in members:
        m.lookalike_group, m.lookalike_kind, m.forced_sources = group, kind, shared
        if m.tier == "single":
            m.tier = "occasional"


def make_population(rng: Random, number: int) -> list[Person]:
    """The county's people: ordinary ones first, then the twins, Jr/Sr pairs and namesakes among them."""
    ssns: set[str] = set()
    people = [_make_person(rng, i, ssns) for i in range(number)]
    for p in people:
        _assign_tier(rng, p)
    groups = max(1, number * LOOKALIKE_GROUPS_PER_1000 // 1000)
    if number >= 12 * groups:  # a tiny county gets no look-alikes rather than nothing but look-alikes
        # Spread over the list (not at its end) so a person's index says nothing about being a look-alike.
        order = rng.sample(range(number), 8 * groups)
        picked = [people[i] for i in order]
        _make_twins(rng, picked, 0, groups, ssns)
        _make_juniors(rng, picked, 2 * groups, groups)
        _make_namesakes(rng, picked, 4 * groups, groups)
    return people


# ----------------------------------------------------------------------------------------------- the events
def _random_moment(rng: Random) -> int:
    return rng.randrange(WINDOW_SECONDS)


def _contacts(rng: Random, low: int, high: int) -> int:
    """Heavy-tailed: most frequent utilizers sit near `low`, a few near `high`."""
    return min(high, low + int(rng.expovariate(3 / max(1, high - low))))


def plan_events(rng: Random, people: list[Person]) -> dict[str, list[int]]:
    """Every contact of every person with every system, as sorted ints (moment * KEY_SPREAD + person)."""
    events: dict[str, list[int]] = {s: [] for s in SOURCES}
    single_weights = list(SINGLE_CONTACT_WEIGHTS.items())
    for index, person in enumerate(people):
        for source, count in _person_contacts(rng, person, single_weights).items():
            bucket = events[source]
            for _ in range(count):
                bucket.append(_random_moment(rng) * KEY_SPREAD + index)
    for bucket in events.values():
        bucket.sort()
    return events


def _person_contacts(rng: Random, person: Person, single_weights) -> dict[str, int]:
    contacts: Counter[str] = Counter()
    if person.tier == "frequent":
        for source, (chance, low, high) in FREQUENT_SOURCES.items():
            if rng.random() < chance:
                contacts[source] = _contacts(rng, low, high)
        if len(contacts) < 3:
            for source in rng.sample(SOURCES, 3):
                contacts[source] = contacts[source] or _contacts(rng, *FREQUENT_SOURCES[source][1:])
    elif person.tier == "occasional":
        for _ in range(1 + (rng.random() < 0.5)):
            contacts[_weighted(rng, single_weights)] += rng.randint(1, 3)
    else:
        contacts[_weighted(rng, single_weights)] = 1
    for source in person.forced_sources:
        contacts[source] = max(contacts[source], 1 + (rng.random() < 0.5))
    return contacts


def _moment(event: int) -> tuple[dt.datetime, int]:
    seconds, index = divmod(event, KEY_SPREAD)
    return WINDOW_START + dt.timedelta(seconds=seconds), index


# ---------------------------------------------------------------------------------------- record identities
@dataclass(slots=True)
class Identity:
    """One person as one record shows them."""

    first: str
    middle: str
    last: str
    suffix: str
    dob: dt.date | None
    ssn: str  # nine digits, "xxxxx1234" (partial), or "" (missing)
    noise: list[str] = field(default_factory=list)


class NoiseLedger:
    """Counts each error made and each chance to make it, so the rates can be checked."""

    def __init__(self) -> None:
        self.applied: Counter[str] = Counter()
        self.eligible: Counter[str] = Counter()

    def roll(self, rng: Random, tag: str, noise: list[str]) -> bool:
        self.eligible[tag] += 1
        if rng.random() < NOISE_RATES[tag]:
            self.applied[tag] += 1
            noise.append(tag)
            return True
        return False

    def pick(self, rng: Random, choices: list[tuple[str, bool]], noise: list[str]) -> str | None:
        """At most one of several exclusive errors, one draw; an ineligible error's share stays clean."""
        u = rng.random()
        chosen = None
        edge = 0.0
        for tag, eligible in choices:
            if not eligible:
                edge += NOISE_RATES[tag]
                continue
            self.eligible[tag] += 1
            if chosen is None and edge <= u < edge + NOISE_RATES[tag]:
                chosen = tag
            edge += NOISE_RATES[tag]
        if chosen:
            self.applied[chosen] += 1
            noise.append(chosen)
        return chosen


KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", [
    "wa", "qes", "wrd", "etf", "rgy", "thu", "yji", "uko", "ilp", "ok", "qsz", "adwx", "sfex", "dgrc", "fhtv",
    "gjyb", "hkun", "jlim", "ko", "xas", "zcd", "xvf", "cbg", "vnh", "bmj", "nk"])}


def _typo(rng: Random, name: str) -> str:
    """One slip of the fingers; always changes the name, never empties it."""
    if len(name) < 2:
        return name + name
    for _ in range(10):
        i = rng.randrange(1, len(name))  # the first letter is rarely the one mistyped
        kind = rng.randrange(4)
        c = name[i]
        if kind == 0 and c.lower() in KEYBOARD:
            sub = rng.choice(KEYBOARD[c.lower()])
            result = name[:i] + (sub.upper() if c.isupper() else sub) + name[i + 1:]
        elif kind == 1 and len(name) > 3:
            result = name[:i] + name[i + 1:]
        elif kind == 2:
            result = name[:i] + c + name[i:]
        else:
            result = name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]
        if result != name:
            return result
    return name + "e"


def _record_names(rng: Random, p: Person, ledger: NoiseLedger, noise: list[str]) -> tuple[str, str, str, str]:
    last = p.last
    if p.maiden and ledger.roll(rng, "maiden_name", noise):
        last = p.maiden
    elif p.double_surname and ledger.roll(rng, "one_part_of_double_surname", noise):
        last = last.split(" ")[0 if rng.random() < 0.8 else 1]
    first, middle = p.first, p.middle
    if middle and ledger.roll(rng, "goes_by_middle_name", noise):
        first, middle = middle, ""
    elif first in NICKNAMES and ledger.roll(rng, "nickname", noise):
        first = rng.choice(NICKNAMES[first])
    if ledger.roll(rng, "name_typo", noise):
        if rng.random() < 0.6:
            last = _typo(rng, last)
        else:
            first = _typo(rng, first)
    if ledger.roll(rng, "swapped_first_last", noise):
        first, last = last, first
    suffix = p.suffix
    if suffix and ledger.roll(rng, "suffix_dropped", noise):
        suffix = ""
    return first, middle, last, suffix


def _digit_typo(rng: Random, dob: dt.date) -> dt.date:
    digits = dob.strftime("%Y%m%d")
    for _ in range(50):
        i = rng.choice([2, 3, 5, 6, 7])  # a birth year never starts 3xxx, and months go to 12
        candidate = digits[:i] + str(rng.randrange(10)) + digits[i + 1:]
        try:
            changed = dt.datetime.strptime(candidate, "%Y%m%d").date()
        except ValueError:
            continue
        if changed != dob and changed < REFERENCE_DATE:
            return changed
    return dob + dt.timedelta(days=1)


def _record_dob(rng: Random, dob: dt.date, ledger: NoiseLedger, noise: list[str]) -> dt.date | None:
    swappable = dob.day <= 12 and dob.day != dob.month
    error = ledger.pick(rng, [("dob_missing", True), ("dob_placeholder", True),
                              ("dob_day_month_swap", swappable), ("dob_year_off", True),
                              ("dob_digit_typo", True)], noise)
    if error == "dob_missing":
        return None
    if error == "dob_placeholder":
        return PLACEHOLDER_DOB
    if error == "dob_day_month_swap":
        return dob.replace(month=dob.day, day=dob.month)
    if error == "dob_year_off":
        year = dob.year + rng.choice((-1, 1))
        return dob.replace(year=year, day=28) if (dob.month, dob.day) == (2, 29) else dob.replace(year=year)
    if error == "dob_digit_typo":
        return _digit_typo(rng, dob)
    return dob


FAKE_SSNS = ["123456789", "999999999", "111111111", "078051120"]


def _transpose(rng: Random, ssn: str) -> str:
    spots = [i for i in range(8) if ssn[i] != ssn[i + 1]]
    if not spots:
        return ssn
    i = rng.choice(spots)
    return ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2:]


def _record_ssn(rng: Random, ssn: str, partial_allowed: bool, ledger: NoiseLedger, noise: list[str]) -> str:
    if not ssn:
        return ""
    error = ledger.pick(rng, [("ssn_missing", True), ("ssn_partial", partial_allowed),
                              ("ssn_transposed", True), ("ssn_fake", True)], noise)
    if error == "ssn_missing":
        return ""
    if error == "ssn_partial":
        return "xxxxx" + ssn[5:]
    if error == "ssn_transposed":
        return _transpose(rng, ssn)
    if error == "ssn_fake":
        return rng.choice([*FAKE_SSNS, f"000{rng.randrange(10**6):06d}"])
    return ssn


def record_identity(rng: Random, p: Person, ledger: NoiseLedger, ssn: str | None = None) -> Identity:
    """How one record of `p` reads. ssn: None (source has none), "full" or "partial" (may keep last four)."""
    noise: list[str] = []
    first, middle, last, suffix = _record_names(rng, p, ledger, noise)
    dob = _record_dob(rng, p.dob, ledger, noise)
    record_ssn = "" if ssn is None else _record_ssn(rng, p.ssn, ssn == "partial", ledger, noise)
    return Identity(first, middle, last, suffix, dob, record_ssn, noise)


# ------------------------------------------------------------------------------------------- output helpers
class Truth:
    """truth.csv: for every row that is a record, who it really is."""

    COLUMNS = ("source", "file", "key_column", "source_key", "true_person_id", "kind", "lookalike_group",
               "lookalike_kind", "agency_person_id", "noise")

    def __init__(self, path: Path) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(self.COLUMNS)
        self.by_source: Counter[str] = Counter()

    def person(self, source: str, file: str, key_column: str, key, p: Person, agency_id, ident: Identity,
               kind: str = "person") -> None:
        self._csv.writerow([source, file, key_column, key, p.person_id, kind, p.lookalike_group,
                            p.lookalike_kind, agency_id, ";".join(ident.noise)])
        self.by_source[source] += 1

    def junk(self, source: str, file: str, key_column: str, key, agency_id, kind: str = "test") -> None:
        self._csv.writerow([source, file, key_column, key, "", kind, "", "", agency_id, ""])
        self.by_source[source] += 1

    def close(self) -> None:
        self._file.close()


class AgencyIds:
    """An agency's own person numbers, handed out as people first show up; a few people get two."""

    def __init__(self, rng: Random, make_id) -> None:
        self._rng, self._make_id, self._ids, self._count = rng, make_id, {}, 0

    def _next(self) -> str:
        self._count += 1
        return self._make_id(self._count)

    def for_person(self, index: int) -> str:
        ids = self._ids.get(index)
        if ids is None:
            ids = self._ids[index] = [self._next()]
        elif len(ids) == 1 and self._rng.random() < AGENCY_DUPLICATE_ID_RATE:
            ids.append(self._next())  # registration missed the existing record
        return ids[-1] if len(ids) == 1 else self._rng.choice(ids)


def _junk_positions(rng: Random, count: int, rows: int) -> set[int]:
    return {rng.randrange(max(1, rows)) for _ in range(count)}


def _excel_serial(moment: dt.datetime) -> float:
    return round((moment - EXCEL_EPOCH).total_seconds() / 86400, 6)


def _cp1252_safe(text: str) -> str:
    """What a Windows-1252 system stores: the letters it has, the others without their accents."""
    return "".join(c if c.encode("cp1252", "ignore") else _strip_accents(c) for c in text)


def _us_mountain_offset(moment: dt.datetime) -> str:
    """-06:00 in daylight time (second Sunday of March to first Sunday of November), else -07:00."""
    march = dt.datetime(moment.year, 3, 8 + (6 - dt.date(moment.year, 3, 8).weekday()) % 7, 2)
    november = dt.datetime(moment.year, 11, 1 + (6 - dt.date(moment.year, 11, 1).weekday()) % 7, 2)
    return "-06:00" if march <= moment < november else "-07:00"


class XlsxReport:
    """A write-only workbook whose bytes depend only on its rows (fixed timestamps, fixed zip dates)."""

    def __init__(self, path: Path, sheet: str, creator: str) -> None:
        self.path = path
        self.book = Workbook(write_only=True)
        self.book.properties.creator = creator
        self.book.properties.created = XLSX_TIMESTAMP
        self.sheet = self.book.create_sheet(sheet)

    def cell(self, value, number_format: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value)
        cell.number_format = number_format
        return cell

    def append(self, row: list) -> None:
        self.sheet.append(row)

    def close(self) -> None:
        self.book.save(self.path)
        _freeze_zip(self.path)


def _freeze_zip(path: Path) -> None:
    """Rewrite the xlsx zip with fixed entry dates and the fixed modified time openpyxl overwrote."""
    fixed = XLSX_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    frozen = path.with_suffix(".frozen")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(frozen, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=XLSX_TIMESTAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + fixed + rb"\g<2>", src.read(item))
                dst.writestr(info, data)
                continue
            with src.open(item) as fsrc, dst.open(info, "w") as fdst:
                shutil.copyfileobj(fsrc, fdst, 1 << 20)
    os.replace(frozen, path)


def _csv_file(path: Path, encoding: str = "utf-8", delimiter: str = ","):
    handle = path.open("w", encoding=encoding, newline="")
    return handle, csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")


def _mdy(day: dt.date | None) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year}" if day else ""


def _sex_word(p: Person) -> str:
    return "Female" if p.sex == "F" else "Male"


# ------------------------------------------------------------------------------------------------------ jail
JAIL_FILE = "jail_bookings.xlsx"
JAIL_CHARGES_FILE = "jail_charges.csv"
JAIL_HEADER = ["SO #", "Booking No", "Inmate Name", "DOB", "SSN", "Race", "Sex", "Booking Date/Time",
               "Release Date/Time", "Detention Type", "Homeless", "Mental Health", "Arresting Agency"]
# statute, description, class (F = felony, M = misdemeanor, PO = petty offense/citation), category
CHARGES = [
    ("18-3-204", "ASSAULT 3RD DEGREE", "M1", "VIOLENT"), ("18-3-203", "ASSAULT 2ND DEGREE", "F4", "VIOLENT"),
    ("18-4-401", "THEFT $300-$1000", "M2", "PROPERTY"), ("18-4-401", "THEFT $2000-$5000", "F6", "PROPERTY"),
    ("18-18-403.5", "POSS CONTROLLED SUBSTANCE", "F6", "DRUG"), ("42-4-1301", "DUI", "M1", "TRAFFIC"),
    ("18-9-106", "DISORDERLY CONDUCT", "M3", "PUBLIC ORDER"), ("18-4-503", "TRESPASS 2ND DEGREE", "M3", "PROPERTY"),
    ("18-9-111", "HARASSMENT", "M3", "PUBLIC ORDER"), ("18-8-104", "OBSTRUCTING PEACE OFFICER", "M2", "PUBLIC ORDER"),
    ("18-6-803.5", "VIOLATION OF PROTECTION ORDER", "M1", "VIOLENT"), ("16-2-110", "FAILURE TO APPEAR", "M2", "COURT"),
    ("18-4-203", "BURGLARY 2ND DEGREE", "F4", "PROPERTY"), ("18-4-409", "AGG MOTOR VEHICLE THEFT", "F5", "PROPERTY"),
    ("18-9-117", "UNLAWFUL CONDUCT ON PUBLIC PROPERTY", "PO1", "PUBLIC ORDER"),
    ("18-18-428", "POSS DRUG PARAPHERNALIA", "PO2", "DRUG"), ("18-7-201", "PROSTITUTION", "PO1", "PUBLIC ORDER"),
    ("18-4-501", "CRIMINAL MISCHIEF", "M2", "PROPERTY"),
]
HOLD_CHARGES = [("16-11-206", "PROBATION VIOLATION", "HOLD", "COURT"),
                ("17-22.5-403", "PAROLE HOLD", "HOLD", "COURT"),
                ("16-19-101", "HOLD FOR OTHER AGENCY", "HOLD", "COURT")]
ARRESTING_AGENCIES = ["JCSO", "JUNIPER PD", "CEDAR FALLS PD", "STATE PATROL"]


def _jail_stay(rng: Random, detention: str) -> dt.timedelta:
    """Most pretrial stays end within days; some last months; sentences run weeks to a year."""
    if detention == "SENTENCE":
        return dt.timedelta(days=rng.randint(10, 365), hours=rng.randint(0, 23))
    if detention == "HOLD":
        return dt.timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 23))
    u = rng.random()
    if u < 0.6:
        return dt.timedelta(hours=rng.randint(3, 72))
    if u < 0.9:
        return dt.timedelta(days=rng.randint(4, 60))
    return dt.timedelta(days=rng.randint(61, 240))


def _jail_name(rng: Random, ident: Identity) -> str:
    """LAST, FIRST M, folded to plain capitals; the suffix after the surname or at the end."""
    def plain(s: str) -> str:
        return _strip_accents(s).upper().replace("'", "")
    last, first = plain(ident.last), plain(ident.first)
    middle = f" {plain(ident.middle)[:1]}" if ident.middle else ""
    suffix = plain(ident.suffix)
    if suffix and rng.random() < 0.5:
        return f"{last} {suffix}, {first}{middle}"
    return f"{last}, {first}{middle}" + (f" {suffix}" if suffix else "")


def _jail_race(rng: Random, p: Person) -> str:
    u = rng.random()
    if u < 0.03:
        return rng.choice("DRN")
    if u < 0.04:
        return "O"
    race = ETHNIC_GROUPS[p.group][1]
    return "P" if race == "A" and rng.random() < 0.1 else race


def _jail_sex(rng: Random, p: Person) -> str:
    if rng.random() < 0.01:
        return "N"
    if p.transgender:
        return "MT" if p.sex == "F" else "FT"
    return p.sex


def _ssn_dashed(ssn: str, partial_mark: str = "X") -> str:
    if not ssn:
        return ""
    ssn = ssn.replace("x", partial_mark)
    return f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}"


def write_jail(ctx: "County", events: list[int]) -> None:
    """Booking report (xlsx, titles, page breaks, footer) and its charges (csv on the booking number)."""
    rng = ctx.rng("jail")
    report = XlsxReport(ctx.out / JAIL_FILE, "Booking Report", "JMS Reports")
    charges_handle, charges = _csv_file(ctx.out / JAIL_CHARGES_FILE)
    charges.writerow(["Booking No", "Charge Seq", "Statute", "Charge Description", "Offense Category",
                      "Charge Class", "Bond Amount"])
    report.append([f"{COUNTY} Sheriff's Office – Booking Report"])
    report.append([f"Run date: {_mdy(REFERENCE_DATE + dt.timedelta(days=1))} 06:00    "
                   f"Period: {_mdy(WINDOW_START.date())} – {_mdy(REFERENCE_DATE)}"])
    report.append([])
    report.append(JAIL_HEADER)
    so_numbers = AgencyIds(rng, lambda n: str(180000 + n * 7))
    per_year: Counter[int] = Counter()
    tests = _junk_positions(rng, 1, len(events))
    written = charge_rows = 0
    for i, event in enumerate(events):
        moment, index = _moment(event)
        per_year[moment.year] += 1
        booking = f"{moment.year}{per_year[moment.year]:06d}"
        if i in tests:
            written += _jail_test_booking(ctx, report, f"{moment.year}999{i % 1000:03d}", moment)
        if written and written % JAIL_PAGE_ROWS == 0:
            report.append([])
            report.append(JAIL_HEADER)
        p = ctx.people[index]
        ident = record_identity(rng, p, ctx.ledger, "partial")
        so = so_numbers.for_person(index)
        detention = _weighted(rng, [("PRETRIAL", 75), ("SENTENCE", 15), ("HOLD", 10)])
        release = moment + _jail_stay(rng, detention)
        report.append([
            so, booking, _jail_name(rng, ident),
            report.cell(ident.dob, "mm/dd/yyyy") if ident.dob else None,
            _ssn_dashed(ident.ssn), _jail_race(rng, p), _jail_sex(rng, p),
            report.cell(moment, "mm/dd/yyyy hh:mm"),
            report.cell(release, "mm/dd/yyyy hh:mm") if release <= WINDOW_END else None,  # still in custody
            detention, _flag(rng, p.homeless), _flag(rng, p.serious_mental_illness), rng.choice(ARRESTING_AGENCIES),
        ])
        charge_rows += _write_charges(rng, charges, booking, detention)
        ctx.truth.person("jail", JAIL_FILE, "Booking No", booking, p, so, ident)
        written += 1
    report.append([])
    report.append([f"Total bookings: {written}"])
    report.close()
    charges_handle.close()
    ctx.rows[JAIL_FILE] = written
    ctx.rows[JAIL_CHARGES_FILE] = charge_rows


def _flag(rng: Random, value: bool) -> str:
    """Y/N as the booking officer saw it that night: usually, not always, what is true."""
    return "Y" if value != (rng.random() < 0.1) else "N"


def _write_charges(rng: Random, charges, booking: str, detention: str) -> int:
    pool = HOLD_CHARGES if detention == "HOLD" else CHARGES
    count = 1 if detention == "HOLD" else min(4, 1 + int(rng.expovariate(1.2)))
    for seq in range(1, count + 1):
        statute, description, level, category = rng.choice(pool)
        bond = "" if level == "HOLD" else str(rng.choice([0, 500, 1000, 2500, 5000, 10000]))
        charges.writerow([booking, seq, statute, description, category, level, bond])
    return count


def _jail_test_booking(ctx: "County", report: XlsxReport, booking: str, moment: dt.datetime) -> int:
    """The training record every jail system has."""
    report.append(["999999", booking, "DOE, JOHN TEST", report.cell(PLACEHOLDER_DOB, "mm/dd/yyyy"), "",
                   "W", "M", report.cell(moment, "mm/dd/yyyy hh:mm"), report.cell(moment, "mm/dd/yyyy hh:mm"),
                   "PRETRIAL", "N", "N", "JCSO"])
    ctx.truth.junk("jail", JAIL_FILE, "Booking No", booking, "999999")
    return 1


# ---------------------------------------------------------------------------------------------- police / CAD
CAD_FILE = "cad_calls.txt"
CAD_NATURES = [("WELFCK", "WELFARE CHECK", 3), ("DISTURB", "DISTURBANCE", 2), ("TRESP", "TRESPASS", 3),
               ("INTOX", "INTOXICATED PERSON", 3), ("SUICID", "SUICIDAL SUBJECT", 1),
               ("MENTAL", "MENTAL HEALTH CALL", 2), ("THEFT", "THEFT", 3), ("ASSLT", "ASSAULT", 1),
               ("DOMEST", "DOMESTIC", 1), ("SUSP", "SUSPICIOUS PERSON", 3)]
CAD_DISPOSITIONS = ["RPT", "ARR", "ADV", "TRN-ED", "GOA", "CIT", "UTL", "REF-CRT"]
CAD_ROLES = [("SUBJECT", 60), ("VICTIM", 15), ("RP", 15), ("WITNESS", 10)]


def write_police(ctx: "County", events: list[int]) -> None:
    """Pipe-delimited CAD dump: text dates, separate names, one blank line where two extracts were pasted."""
    rng = ctx.rng("police")
    handle, out = _csv_file(ctx.out / CAD_FILE, delimiter="|")
    out.writerow(["INCIDENT_NO", "CALL_RECEIVED", "NATURE_CODE", "NATURE_DESC", "PRIORITY", "DISPOSITION",
                  "BEAT", "INVOLVEMENT", "LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE"])
    blank_at = len(events) // 2
    per_year: Counter[int] = Counter()
    for i, event in enumerate(events):
        if i == blank_at:
            handle.write("\r\n")
        moment, index = _moment(event)
        per_year[moment.year] += 1
        incident = f"{moment.year % 100:02d}-{per_year[moment.year]:06d}"
        p = ctx.people[index]
        ident = record_identity(rng, p, ctx.ledger)
        code, nature, priority = rng.choice(CAD_NATURES)
        race = ETHNIC_GROUPS[p.group][1] if rng.random() > 0.05 else "U"
        out.writerow([incident, moment.strftime("%Y-%m-%d %H:%M:%S"), code, nature, priority,
                      rng.choice(CAD_DISPOSITIONS), f"B{rng.randint(1, 6)}", _weighted(rng, CAD_ROLES),
                      _strip_accents(ident.last).upper(), _strip_accents(ident.first).upper(), _mdy(ident.dob),
                      p.sex, race])
        ctx.truth.person("police", CAD_FILE, "INCIDENT_NO", incident, p, "", ident)
    handle.close()
    ctx.rows[CAD_FILE] = len(events)


# ------------------------------------------------------------------------------------------------------- EMS
EMS_FILE = "ems_nemsis.csv"
NOT_APPLICABLE, NOT_RECORDED, NOT_REPORTING, REFUSED = "7701001", "7701003", "7701005", "8801019"
NEMSIS_RACE = {"W": "2514011", "B": "2514005", "H": "2514007", "A": "2514003", "I": "2514001"}
NEMSIS_SEX = {"F": "9919001", "M": "9919003"}
EMS_IMPRESSIONS = ["F10.129", "R45.851", "F29", "T40.601A", "R55", "S09.90XA", "R07.9", "R41.82", "F19.939",
                   "W19.XXXA", "R56.9", "T14.90XA"]
EMS_HEADER = ["eRecord.01", "eResponse.03", "eResponse.05", "eTimes.03", "eTimes.07", "ePatient.02",
              "ePatient.03", "ePatient.04", "ePatient.12", "ePatient.14", "ePatient.17", "ePatient.25",
              "eSituation.11", "eDisposition.27", "eDisposition.28", "eDisposition.30"]


def write_ems(ctx: "County", events: list[int]) -> None:
    """NEMSIS v3.5 element-named flat file; gaps carry NOT values and pertinent negatives, not blanks."""
    rng = ctx.rng("ems")
    handle, out = _csv_file(ctx.out / EMS_FILE)
    out.writerow(EMS_HEADER)
    tests = _junk_positions(rng, 1, len(events))
    per_year: Counter[int] = Counter()
    for i, event in enumerate(events):
        moment, index = _moment(event)
        per_year[moment.year] += 1
        response = f"{moment.year}-{per_year[moment.year]:05d}"
        if i in tests:
            _ems_test_record(ctx, rng, out, response + "T", moment)
        pcr = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
        p = ctx.people[index]
        ident = record_identity(rng, p, ctx.ledger, "full")
        refused = ctx.ledger.roll(rng, "name_refused", ident.noise)
        last, first, middle = (REFUSED, REFUSED, NOT_RECORDED) if refused else (
            ident.last, ident.first, ident.middle or NOT_RECORDED)
        ssn = ident.ssn or (REFUSED if rng.random() < 0.3 else NOT_RECORDED)
        transported = rng.random() < 0.7
        out.writerow([
            pcr, response, "2205001", _nemsis_time(moment),
            _nemsis_time(moment + dt.timedelta(minutes=rng.randint(4, 25))),
            last, first, middle, ssn,
            NEMSIS_RACE.get(ETHNIC_GROUPS[p.group][1], NOT_RECORDED) if rng.random() > 0.04 else NOT_RECORDED,
            ident.dob.isoformat() if ident.dob else NOT_RECORDED,
            NEMSIS_SEX[p.sex] if rng.random() > 0.01 else "9919005",
            rng.choice(EMS_IMPRESSIONS), "4227001",
            "4228001" if transported else rng.choice(["4228003", "4228007"]),
            "4230001" if transported else rng.choice(["4230009", "4230013"]),
        ])
        ctx.truth.person("ems", EMS_FILE, "eRecord.01", pcr, p, "", ident)
    handle.close()
    ctx.rows[EMS_FILE] = len(events) + len(tests)


def _nemsis_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + _us_mountain_offset(moment)


def _ems_test_record(ctx: "County", rng: Random, out, response: str, moment: dt.datetime) -> None:
    pcr = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
    out.writerow([pcr, response, "2205001", _nemsis_time(moment), _nemsis_time(moment), "TEST", "PATIENT",
                  NOT_APPLICABLE, NOT_REPORTING, NOT_REPORTING, "1900-01-01", "9919005", "R69", "4227011",
                  NOT_APPLICABLE, "4230013"])
    ctx.truth.junk("ems", EMS_FILE, "eRecord.01", pcr, "")


# -------------------------------------------------------------------------------------------------------- ED
ED_MERCY_FILE = "ed_mercy_regional.xlsx"
ED_COUNTY_GENERAL_FILE = "ed_county_general.csv"
ED_COMPLAINTS = [("ETOH INTOX", "F10.129"), ("SUICIDAL IDEATION", "R45.851"), ("CHEST PAIN", "R07.9"),
                 ("ABD PAIN", "R10.9"), ("LACERATION", "S01.81XA"), ("PSYCH EVAL", "F29"),
                 ("OVERDOSE", "T40.2X1A"), ("FALL", "W19.XXXA"), ("ASSAULT VICTIM", "S00.93XA"),
                 ("WITHDRAWAL", "F10.239"), ("CELLULITIS", "L03.90"), ("SOB", "R06.02"),
                 ("MED REFILL", "Z76.0"), ("BACK PAIN", "M54.50"), ("SEIZURE", "R56.9")]
ED_DISPOSITIONS = [("Discharged Home", 60), ("Left AMA", 8), ("LWBS", 5), ("Admitted", 14),
                   ("Transferred - Psych", 6), ("Police Custody", 4), ("Discharged to Shelter", 3)]
ED_RACE_WORDS = {"W": "White", "B": "Black or African American", "H": "White", "A": "Asian",
                 "I": "American Indian or Alaska Native"}


def _ed_stay(rng: Random) -> dt.timedelta:
    return dt.timedelta(minutes=int(rng.triangular(45, 24 * 60, 240)))


def write_ed(ctx: "County", events: list[int]) -> None:
    """Two hospitals, two extracts: Mercy's xlsx (serial-number times) and County General's cp1252 csv."""
    rng = ctx.rng("ed")
    mercy = XlsxReport(ctx.out / ED_MERCY_FILE, "ED Encounters", "Mercy Regional Decision Support")
    mercy.append(["Mercy Regional Medical Center – Emergency Department Encounters"])
    mercy.append([f"Report period {_mdy(WINDOW_START.date())} - {_mdy(REFERENCE_DATE)}"])
    mercy.append(["MRN", "Visit ID", "Patient Name", "DOB", "Sex", "Race", "Ethnicity", "ZIP",
                  "Admit Date/Time", "Discharge Date/Time", "Chief Complaint", "Dx Code",
                  "Discharge Disposition", "Patient Class"])
    handle, general = _csv_file(ctx.out / ED_COUNTY_GENERAL_FILE, encoding="cp1252")
    general.writerow(["Facility", "MRN", "Encounter #", "Patient Name", "Birth Date", "Gender", "Arrival",
                      "Departure", "Reason for Visit", "Primary Dx", "Disposition"])
    mercy_mrns = AgencyIds(rng, lambda n: f"M{1000000 + n * 13:07d}")
    general_mrns = AgencyIds(rng, lambda n: f"{400000 + n * 3:08d}")
    tests = _junk_positions(rng, 2, len(events))
    counts = Counter()
    for i, event in enumerate(events):
        moment, index = _moment(event)
        p = ctx.people[index]
        at_mercy = (p.hospital == "mercy") != (rng.random() < 0.15)  # sometimes the other ER is closer
        if i in tests:
            _ed_test_visit(ctx, mercy if at_mercy else general, at_mercy, moment, i)
            counts[at_mercy] += 1
        ident = record_identity(rng, p, ctx.ledger)
        complaint, dx = rng.choice(ED_COMPLAINTS)
        left = moment + _ed_stay(rng)
        disposition = _weighted(rng, ED_DISPOSITIONS)
        if at_mercy:
            visit = 300000000 + i * 17 + rng.randrange(17)  # numeric in the workbook, as Excel keeps it
            mrn = mercy_mrns.for_person(index)
            mercy.append([mrn, visit, _ed_mercy_name(ident), _dd_mon_yyyy(ident.dob),
                          _sex_word(p), ED_RACE_WORDS[ETHNIC_GROUPS[p.group][1]],
                          "Hispanic or Latino" if p.group == "hispanic" else "Not Hispanic or Latino",
                          rng.choice(["81501", "81503", "81504", "81505", "81520", ""]),
                          _excel_serial(moment), _excel_serial(left), complaint, dx, disposition, "Emergency"])
            ctx.truth.person("ed", ED_MERCY_FILE, "Visit ID", visit, p, mrn, ident)
        else:
            visit = f"CG{moment.year % 100:02d}{i:07d}"
            mrn = general_mrns.for_person(index)
            general.writerow(["CGH", mrn, visit, _cp1252_safe(_ed_general_name(ident)),
                              f"{ident.dob.month}/{ident.dob.day}/{ident.dob.year}" if ident.dob else "",
                              p.sex, _ampm(moment), _ampm(left), complaint.title(), dx, disposition])
            ctx.truth.person("ed", ED_COUNTY_GENERAL_FILE, "Encounter #", visit, p, mrn, ident)
        counts[at_mercy] += 1
    mercy.close()
    handle.close()
    ctx.rows[ED_MERCY_FILE] = counts[True]
    ctx.rows[ED_COUNTY_GENERAL_FILE] = counts[False]


def _ampm(moment: dt.datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def _dd_mon_yyyy(day: dt.date | None) -> str:
    """05-MAR-1987, spelled out here because strftime's %b follows the machine's locale."""
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}" if day else ""


def _ed_mercy_name(ident: Identity) -> str:
    """Last, First Middle — mixed case, accents as registered."""
    suffix = f" {ident.suffix}" if ident.suffix else ""
    return f"{ident.last}{suffix}, {ident.first}" + (f" {ident.middle}" if ident.middle else "")


def _ed_general_name(ident: Identity) -> str:
    """LAST, FIRST M SUFFIX in capitals."""
    name = f"{ident.last.upper()}, {ident.first.upper()}" + (f" {ident.middle[:1].upper()}" if ident.middle else "")
    return name + (f" {ident.suffix.upper()}" if ident.suffix else "")


def _ed_test_visit(ctx: "County", sheet, at_mercy: bool, moment: dt.datetime, i: int) -> None:
    if at_mercy:
        visit = 299000000 + i
        sheet.append(["M0000001", visit, "Test, Patient", "01-JAN-1900", "Unknown", "", "", "", _excel_serial(moment),
                      _excel_serial(moment), "TEST", "Z00.00", "Discharged Home", "Emergency"])
        ctx.truth.junk("ed", ED_MERCY_FILE, "Visit ID", visit, "M0000001")
    else:
        visit = f"CGTEST{i:07d}"
        sheet.writerow(["CGH", "00000001", visit, "ZZTEST, PATIENT", "1/1/1900", "U", _ampm(moment), _ampm(moment),
                        "Test", "Z00.00", "Discharged Home"])
        ctx.truth.junk("ed", ED_COUNTY_GENERAL_FILE, "Encounter #", visit, "00000001")


# ------------------------------------------------------------------------------------------ behavioral health
BH_FILE = "bh_services.xlsx"
BH_PROGRAMS = [("outpatient", "Adult Outpatient", 45), ("crisis", "Crisis Stabilization Unit", 20),
               ("detox", "Withdrawal Management", 20), ("inpatient", "Inpatient Psychiatric", 8),
               ("outpatient", "MAT Clinic", 7)]
BH_CLINICIANS = ["R. Alvarez, LCSW", "K. Whitehorse, LPC", "D. Morgan, PMHNP", "S. Tran, LAC", "J. Ortiz, MD"]


def write_bh(ctx: "County", events: list[int]) -> None:
    """Client service extract: one title row, DOB sometimes a bare serial number, SSN masked to last four."""
    rng = ctx.rng("bh")
    sheet = XlsxReport(ctx.out / BH_FILE, "Services", "Juniper Valley BH EHR")
    sheet.append(["Juniper Valley Behavioral Health – Client Service Extract (confidential, 42 CFR Part 2)"])
    sheet.append(["Client ID", "Service ID", "Last", "First", "DOB", "SSN", "Gender", "Service Date",
                  "Discharge Date", "Service Type", "Program", "SMI", "SUD", "Clinician"])
    clients = AgencyIds(rng, lambda n: f"C{20000 + n:05d}")
    tests = _junk_positions(rng, 1, len(events))
    for i, event in enumerate(events):
        moment, index = _moment(event)
        service_id = 700000 + i * 3
        if i in tests:
            sheet.append(["C00000", service_id - 1, "Test", "Client", sheet.cell(PLACEHOLDER_DOB, "m/d/yyyy"), "",
                          "U", sheet.cell(moment.date(), "m/d/yyyy"), None, "outpatient", "Adult Outpatient",
                          "N", "N", "SYSTEM"])
            ctx.truth.junk("bh", BH_FILE, "Service ID", service_id - 1, "C00000")
        p = ctx.people[index]
        ident = record_identity(rng, p, ctx.ledger, "full")
        client = clients.for_person(index)
        service_type, program, _ = _weighted(rng, [(b, b[2]) for b in BH_PROGRAMS])
        discharge = None
        if service_type != "outpatient":
            days = {"crisis": (1, 7), "detox": (2, 7), "inpatient": (3, 30)}[service_type]
            discharge = sheet.cell(moment.date() + dt.timedelta(days=rng.randint(*days)), "m/d/yyyy")
        sheet.append([client, service_id, ident.last, ident.first, _bh_dob(rng, sheet, ident.dob),
                      f"xxx-xx-{ident.ssn[5:]}" if ident.ssn else "", p.sex,
                      sheet.cell(moment.date(), "m/d/yyyy"), discharge, service_type, program,
                      "Y" if p.serious_mental_illness else "N", "Y" if p.substance_use else "N",
                      rng.choice(BH_CLINICIANS)])
        ctx.truth.person("bh", BH_FILE, "Service ID", service_id, p, client, ident)
    sheet.close()
    ctx.rows[BH_FILE] = len(events) + len(tests)


def _bh_dob(rng: Random, sheet: XlsxReport, dob: dt.date | None):
    """A date cell, except where a copy-paste left the bare serial number (an int)."""
    if dob is None:
        return None
    if rng.random() < 0.15:
        return (dob - EXCEL_EPOCH.date()).days
    return sheet.cell(dob, "m/d/yyyy")


# ---------------------------------------------------------------------------------------------- shelter HMIS
HMIS_DIR = "hmis"
CLIENT_COLUMNS = ["PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "NameDataQuality", "SSN",
                  "SSNDataQuality", "DOB", "DOBDataQuality", "AmIndAKNative", "Asian", "BlackAfAmerican",
                  "HispanicLatinaeo", "MidEastNAfrican", "NativeHIPacific", "White", "RaceNone",
                  "AdditionalRaceEthnicity", "Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender",
                  "Questioning", "DifferentIdentity", "GenderNone", "DifferentIdentityText", "VeteranStatus",
                  "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"]
ENROLLMENT_COLUMNS = ["EnrollmentID", "PersonalID", "ProjectID", "EntryDate", "HouseholdID", "RelationshipToHoH",
                      "EnrollmentCoC", "LivingSituation", "LengthOfStay", "LOSUnderThreshold",
                      "PreviousStreetESSH", "DateToStreetESSH", "TimesHomelessPastThreeYears",
                      "MonthsHomelessPastThreeYears", "DisablingCondition", "DateOfEngagement", "MoveInDate",
                      "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"]
EXIT_COLUMNS = ["ExitID", "EnrollmentID", "PersonalID", "ExitDate", "Destination", "DestinationSubsidyType",
                "OtherDestination", "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"]
# ProjectID, OrganizationID, name, ProjectType (0 ES entry/exit, 1 ES night-by-night, 2 TH, 3 PSH, 4 SO, 13 RRH)
HMIS_PROJECTS = [("101", "11", "Juniper Rescue Mission Emergency Shelter", 0, 40),
                 ("102", "11", "Juniper Rescue Mission Winter Overflow", 1, 15),
                 ("201", "12", "Open Door Street Outreach", 4, 20), ("202", "12", "Open Door Rapid Rehousing", 13, 8),
                 ("301", "13", "Cedar House Transitional Housing", 2, 7), ("302", "13", "Cedar House PSH", 3, 5),
                 ("901", "19", "Safe Harbor DV Shelter", 0, 0)]
HMIS_ORGANIZATIONS = [("11", "Juniper Rescue Mission", 0), ("12", "Open Door Services", 0),
                      ("13", "Cedar House", 0), ("19", "Safe Harbor", 1)]
EXPORT_ID = "5521"
LIVING_SITUATIONS = [(116, 45), (101, 20), (118, 3), (215, 4), (206, 5), (207, 8), (204, 4), (422, 6), (423, 5)]
DESTINATIONS = [(116, 20), (101, 15), (207, 6), (435, 12), (422, 12), (423, 8), (30, 20), (17, 4), (99, 3)]


@dataclass(slots=True)
class HmisClient:
    personal_id: str
    index: int
    ident: Identity
    created: dt.datetime
    updated: dt.datetime


def write_shelter(ctx: "County", events: list[int]) -> None:
    """HMIS CSV FY2024 export: Export, Organization, Project, Client, Enrollment, Exit."""
    rng = ctx.rng("shelter")
    folder = ctx.out / HMIS_DIR
    folder.mkdir(exist_ok=True)
    clients: dict[str, HmisClient] = {}
    personal_ids = AgencyIds(rng, lambda n: str(10000 + n * 11))
    enrollments = []
    for i, event in enumerate(events):
        moment, index = _moment(event)
        pid = personal_ids.for_person(index)
        if pid not in clients:
            ident = record_identity(rng, ctx.people[index], ctx.ledger, "partial")
            clients[pid] = HmisClient(pid, index, ident, moment, moment)
        clients[pid].updated = max(clients[pid].updated, moment)
        enrollments.append((str(500000 + i * 7), pid, index, moment))
    _write_hmis_clients(ctx, rng, folder, clients)  # first: street names and approximate DOBs join the noise
    _write_hmis_enrollments(ctx, rng, folder, enrollments, clients)
    _write_hmis_reference_files(ctx, folder)


def _hmis_project(rng: Random, p: Person) -> tuple:
    if p.sex == "F" and rng.random() < HMIS_VICTIM_SERVICE_SHARE:
        return HMIS_PROJECTS[-1]
    return _weighted(rng, [(proj, proj[4]) for proj in HMIS_PROJECTS[:-1]])


def _hmis_stay(rng: Random, project_type: int) -> dt.timedelta:
    days = {0: (1, 90), 1: (1, 20), 4: (7, 200), 13: (60, 365), 2: (60, 540), 3: (180, 900)}[project_type]
    return dt.timedelta(days=int(rng.triangular(days[0], days[1], days[0])))


def _hmis_stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _write_hmis_enrollments(ctx: "County", rng: Random, folder: Path, enrollments: list, clients: dict) -> None:
    efile, enrollment_csv = _csv_file(folder / "Enrollment.csv")
    xfile, exit_csv = _csv_file(folder / "Exit.csv")
    enrollment_csv.writerow(ENROLLMENT_COLUMNS)
    exit_csv.writerow(EXIT_COLUMNS)
    exits = 0
    for enrollment_id, pid, index, moment in enrollments:
        p = ctx.people[index]
        project_id, _, _, project_type, _ = _hmis_project(rng, p)
        entry = moment.date()
        deleted = rng.random() < HMIS_DELETED_ENROLLMENT_RATE
        stamp = _hmis_stamp(moment)
        move_in = entry + dt.timedelta(days=rng.randint(10, 90)) if project_type in (3, 13) else None
        enrollment_csv.writerow([
            enrollment_id, pid, project_id, entry.isoformat(), f"H{enrollment_id}", 1, "XX-501",
            _weighted(rng, LIVING_SITUATIONS), rng.choice([2, 3, 4, 5]), 1, 1,
            (entry - dt.timedelta(days=rng.randint(0, 700))).isoformat(), rng.choice([1, 2, 3, 4, 8, 99]),
            rng.choice([101, 102, 104, 108, 112, 113, 99]), 1 if (p.serious_mental_illness or p.substance_use) else 0,
            entry.isoformat() if project_type == 4 else "",
            move_in.isoformat() if move_in and move_in <= REFERENCE_DATE else "",
            stamp, stamp, "U" + str(rng.randint(10, 40)), stamp if deleted else "", EXPORT_ID])
        kind = "deleted" if deleted else ("victim_service_provider" if project_id == "901" else "person")
        ctx.truth.person("shelter", f"{HMIS_DIR}/Enrollment.csv", "EnrollmentID", enrollment_id, p, pid,
                         clients[pid].ident, kind)
        left = moment + _hmis_stay(rng, project_type)
        if left <= WINDOW_END:
            exits += 1
            exit_csv.writerow([str(800000 + exits * 3), enrollment_id, pid, left.date().isoformat(),
                               _weighted(rng, DESTINATIONS), "", "", _hmis_stamp(left), _hmis_stamp(left),
                               "U" + str(rng.randint(10, 40)), "", EXPORT_ID])
    efile.close()
    xfile.close()
    ctx.rows[f"{HMIS_DIR}/Enrollment.csv"] = len(enrollments)
    ctx.rows[f"{HMIS_DIR}/Exit.csv"] = exits


def _write_hmis_clients(ctx: "County", rng: Random, folder: Path, clients: dict) -> None:
    handle, out = _csv_file(folder / "Client.csv")
    out.writerow(CLIENT_COLUMNS)
    rows = 0
    for pid in sorted(clients, key=int):
        client = clients[pid]
        out.writerow(_hmis_client_row(ctx, rng, client, deleted=None))
        rows += 1
        if rng.random() < HMIS_DELETED_CLIENT_RATE:  # a duplicate entered, then merged into this one
            dupe = HmisClient(str(int(pid) + 5), client.index, client.ident, client.created, client.updated)
            out.writerow(_hmis_client_row(ctx, rng, dupe, deleted=client.updated))
            rows += 1
    handle.close()
    ctx.rows[f"{HMIS_DIR}/Client.csv"] = rows


def _hmis_client_row(ctx: "County", rng: Random, client: HmisClient, deleted: dt.datetime | None) -> list:
    p, ident = ctx.people[client.index], client.ident
    first, middle, last, name_quality = ident.first, ident.middle, ident.last, 1
    if deleted is None and ctx.ledger.roll(rng, "street_name", ident.noise):
        first, middle, last, name_quality = rng.choice(STREET_NAMES), "", "", 2
    ssn, ssn_quality = ident.ssn, (2 if "x" in ident.ssn else 1) if ident.ssn else rng.choice([8, 9, 99])
    dob, dob_quality = ident.dob, 1
    if dob == PLACEHOLDER_DOB or dob is None:  # HMIS will not take 1900; the worker leaves it blank
        dob, dob_quality = None, rng.choice([8, 9, 99])
    elif deleted is None and ctx.ledger.roll(rng, "dob_approximate", ident.noise):
        dob, dob_quality = dob.replace(month=1, day=1), 2
    race = ETHNIC_GROUPS[p.group][1]
    woman, man = (p.sex == "F"), (p.sex == "M")
    return [client.personal_id, first, middle, last, ident.suffix, name_quality, ssn, ssn_quality,
            dob.isoformat() if dob else "", dob_quality, int(race == "I"), int(race == "A"), int(race == "B"),
            int(race == "H"), 0, 0, int(race == "W"), "", "",
            int(woman), int(man), 0, 0, int(p.transgender), 0, 0, "", "", 1 if p.veteran else 0,
            _hmis_stamp(client.created), _hmis_stamp(client.updated), "U" + str(rng.randint(10, 40)),
            _hmis_stamp(deleted) if deleted else "", EXPORT_ID]


def _write_hmis_reference_files(ctx: "County", folder: Path) -> None:
    start = WINDOW_START.date().isoformat()
    stamp = _hmis_stamp(WINDOW_START)
    rows = {
        "Export.csv": (["ExportID", "SourceType", "SourceID", "SourceName", "SourceContactFirst",
                        "SourceContactLast", "SourceContactPhone", "SourceContactExtension", "SourceContactEmail",
                        "ExportDate", "ExportStartDate", "ExportEndDate", "SoftwareName", "SoftwareVersion",
                        "CSVVersion", "ExportPeriodType", "ExportDirective", "HashStatus", "ImplementationID"],
                       [[EXPORT_ID, 3, "XX-501", f"{COUNTY} CoC HMIS", "Dana", "Whitfield", "5555550142", "",
                         "hmis@example.org", _hmis_stamp(XLSX_TIMESTAMP), start, REFERENCE_DATE.isoformat(),
                         "Synthetic HMIS", "11.4", "2024 v1.3", 3, 2, 1, "JUNIPER-HMIS-01"]]),
        "Organization.csv": (["OrganizationID", "OrganizationName", "VictimServiceProvider",
                              "OrganizationCommonName", "DateCreated", "DateUpdated", "UserID", "DateDeleted",
                              "ExportID"],
                             [[o, name, vsp, name, stamp, stamp, "U10", "", EXPORT_ID]
                              for o, name, vsp in HMIS_ORGANIZATIONS]),
        "Project.csv": (["ProjectID", "OrganizationID", "ProjectName", "ProjectCommonName", "OperatingStartDate",
                         "OperatingEndDate", "ContinuumProject", "ProjectType", "HousingType", "RRHSubType",
                         "ResidentialAffiliation", "TargetPopulation", "HOPWAMedAssistedLivingFac", "PITCount",
                         "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"],
                        [[pid, org, name, name, "2015-01-01", "", 1, ptype, 1 if ptype != 4 else "", "", "",
                          1 if pid == "901" else 4, "", "", stamp, stamp, "U10", "", EXPORT_ID]
                         for pid, org, name, ptype, _ in HMIS_PROJECTS]),
    }
    for name, (header, data) in rows.items():
        handle, out = _csv_file(folder / name)
        out.writerow(header)
        out.writerows(data)
        handle.close()
        ctx.rows[f"{HMIS_DIR}/{name}"] = len(data)


# ----------------------------------------------------------------------------------------------------- court
COURT_FILE = "court_cases.csv"
COURT_LEVELS = {"F": "Felony", "M": "Misdemeanor", "P": "Petty Offense"}
COURT_DISPOSITIONS = [("Guilty Plea", 40), ("Dismissed", 20), ("Deferred Judgment", 12),
                      ("Convicted - Trial", 5), ("Acquitted", 2), ("Pending", 21)]


def write_court(ctx: "County", events: list[int]) -> None:
    """Case extract (utf-8 with BOM, Excel's 'CSV UTF-8'): "First M Last, Jr", DOB as YYYYMMDD, a total line."""
    rng = ctx.rng("court")
    handle, out = _csv_file(ctx.out / COURT_FILE, encoding="utf-8-sig")
    out.writerow(["Case Number", "Defendant Name", "DOB", "Filing Date", "Charge", "Charge Level",
                  "Disposition", "Disposition Date", "Division"])
    per_year: Counter[tuple[int, str]] = Counter()
    for event in events:
        moment, index = _moment(event)
        statute, description, level, _ = rng.choice(CHARGES)
        kind = "CR" if level[0] == "F" else "M"
        per_year[moment.year, kind] += 1
        case = f"{moment.year % 100:02d}{kind}{per_year[moment.year, kind]:05d}"
        p = ctx.people[index]
        ident = record_identity(rng, p, ctx.ledger)
        disposition = _weighted(rng, COURT_DISPOSITIONS)
        decided = moment.date() + dt.timedelta(days=rng.randint(14, 400))
        if disposition != "Pending" and decided > REFERENCE_DATE:
            disposition = "Pending"
        out.writerow([case, _court_name(rng, ident), ident.dob.strftime("%Y%m%d") if ident.dob else "",
                      _mdy(moment.date()), f"{statute} {description}", COURT_LEVELS[level[0]], disposition,
                      "" if disposition == "Pending" else _mdy(decided),
                      "District" if kind == "CR" else "County"])
        ctx.truth.person("court", COURT_FILE, "Case Number", case, p, "", ident)
    out.writerow([])
    out.writerow([f"Total Records: {len(events)}"])
    handle.close()
    ctx.rows[COURT_FILE] = len(events)


def _court_name(rng: Random, ident: Identity) -> str:
    name = " ".join(part for part in (ident.first, ident.middle[:1], ident.last) if part)
    if ident.suffix:
        name += f", {ident.suffix}" if rng.random() < 0.6 else f" {ident.suffix}"
    return name


# ------------------------------------------------------------------------------------------------- probation
PROBATION_FILE = "probation_supervision.xlsx"
PROBATION_OFFICERS = ["Ofc. R. Alvarez", "Ofc. T. Nakamura", "Ofc. L. Begay", "Ofc. M. Schmidt", "Ofc. D. Brooks"]
PROBATION_LEVELS = [("Minimum", 30), ("Medium", 40), ("Maximum", 20), ("Intensive", 10)]


def write_probation(ctx: "County", events: list[int]) -> None:
    """Caseload extract: separate name columns in capitals, real dates, a few blank rows in the middle."""
    rng = ctx.rng("probation")
    sheet = XlsxReport(ctx.out / PROBATION_FILE, "Caseload", "Probation CMS")
    sheet.append(["Offender ID", "Supervision ID", "Last Name", "First Name", "Middle Name", "DOB",
                  "Supervision Start", "Supervision End", "Supervision Level", "Officer", "Status"])
    offenders = AgencyIds(rng, lambda n: f"PR{300000 + n * 5:06d}")
    blanks = _junk_positions(rng, 3, len(events))
    for i, event in enumerate(events):
        if i in blanks:
            sheet.append([])
        moment, index = _moment(event)
        p = ctx.people[index]
        ident = record_identity(rng, p, ctx.ledger)
        offender = offenders.for_person(index)
        supervision = 60000 + i * 2
        end = moment.date() + dt.timedelta(days=rng.randint(180, 1095))
        status = "Active" if end > REFERENCE_DATE else _weighted(rng, [("Closed - Successful", 60),
                                                                        ("Revoked", 30), ("Absconded", 10)])
        sheet.append([offender, supervision, ident.last.upper(), ident.first.upper(), ident.middle.upper(),
                      sheet.cell(ident.dob, "mm/dd/yyyy") if ident.dob else None,
                      sheet.cell(moment.date(), "mm/dd/yyyy"),
                      None if status == "Active" else sheet.cell(end, "mm/dd/yyyy"),
                      _weighted(rng, PROBATION_LEVELS), rng.choice(PROBATION_OFFICERS), status])
        ctx.truth.person("probation", PROBATION_FILE, "Supervision ID", supervision, p, offender, ident)
    sheet.close()
    ctx.rows[PROBATION_FILE] = len(events)


# ------------------------------------------------------------------------------------------------ the county
@dataclass
class County:
    """Everything the writers share: where to write, who lives here, the truth and the noise ledger."""

    out: Path
    seed: int
    people: list[Person]
    truth: Truth
    ledger: NoiseLedger = field(default_factory=NoiseLedger)
    rows: dict[str, int] = field(default_factory=dict)

    def rng(self, concern: str) -> Random:
        """A stream per source, so changing one writer does not reshuffle the others."""
        return Random(f"{self.seed}:{concern}")


WRITERS = {"jail": write_jail, "police": write_police, "ems": write_ems, "ed": write_ed, "bh": write_bh,
           "shelter": write_shelter, "court": write_court, "probation": write_probation}

KEY_COLUMNS = {
    JAIL_FILE: "Booking No", JAIL_CHARGES_FILE: "Booking No (joins to jail_bookings.xlsx; not unique)",
    CAD_FILE: "INCIDENT_NO", EMS_FILE: "eRecord.01", ED_MERCY_FILE: "Visit ID",
    ED_COUNTY_GENERAL_FILE: "Encounter #", BH_FILE: "Service ID", f"{HMIS_DIR}/Client.csv": "PersonalID",
    f"{HMIS_DIR}/Enrollment.csv": "EnrollmentID", f"{HMIS_DIR}/Exit.csv": "ExitID (joins on EnrollmentID)",
    f"{HMIS_DIR}/Export.csv": "ExportID", f"{HMIS_DIR}/Organization.csv": "OrganizationID",
    f"{HMIS_DIR}/Project.csv": "ProjectID", COURT_FILE: "Case Number", PROBATION_FILE: "Supervision ID",
}


def write_people(path: Path, people: list[Person]) -> None:
    """truth_people.csv: each person as they really are."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(["true_person_id", "first_name", "middle_name", "last_name", "name_suffix", "maiden_name",
                      "sex", "dob", "ssn", "group", "tier", "homeless", "serious_mental_illness", "substance_use",
                      "lookalike_group", "lookalike_kind"])
        for p in people:
            out.writerow([p.person_id, p.first, p.middle, p.last, p.suffix, p.maiden, p.sex, p.dob.isoformat(),
                          p.ssn, p.group, p.tier, int(p.homeless), int(p.serious_mental_illness),
                          int(p.substance_use), p.lookalike_group, p.lookalike_kind])


def generate(out_dir: Path, people: int = DEFAULT_PEOPLE, seed: int = DEFAULT_SEED) -> GenerationSummary:
    """Write the sample county's exports, truth.csv and truth_people.csv into out_dir; say what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    population = make_population(Random(f"{seed}:people"), people)
    events = plan_events(Random(f"{seed}:events"), population)
    truth = Truth(out / "truth.csv")
    county = County(out, seed, population, truth)
    try:
        for source in SOURCES:
            WRITERS[source](county, events[source])
    finally:
        truth.close()
    write_people(out / "truth_people.csv", population)
    return GenerationSummary(
        out_dir=out, seed=seed, people=people, rows_by_file=dict(sorted(county.rows.items())),
        records_by_source=dict(truth.by_source), key_column_by_file=dict(KEY_COLUMNS),
        noise_applied=dict(county.ledger.applied), noise_eligible=dict(county.ledger.eligible),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Write the synthetic {COUNTY} agency exports.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (created if missing)")
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE, help=f"default {DEFAULT_PEOPLE}")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    args = parser.parse_args(argv)
    summary = generate(args.out, args.people, args.seed)
    for name, rows in summary.rows_by_file.items():
        print(f"{rows:>9,}  {name}")
    print(f"{summary.total_rows:>9,}  rows in all, {sum(summary.records_by_source.values()):,} in truth.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
