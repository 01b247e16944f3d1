"""A store with a few people across jail, behavioral health (42 CFR Part 2) and shelter, and the sample county's
settings: what the ROI and consent tests work on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddj_desktop.paths import data_dir
from ddj_desktop.workspace import Workspace

JAIL = """Booking Number,Last Name,First Name,Middle Name,DOB,Booking Date,Charge
B1,Núñez,María,José,1980-04-02,2024-01-05,Trespass
B2,NUNEZ,MARIA,,1980-04-02,2024-06-09,Disorderly conduct
B3,Ďurková,Zuzana,,1975-11-30,2024-02-01,Theft
"""
BH = """Client ID,Service ID,Last,First,DOB,Service Date,Service Type,Program
C1,S1,Nunez,Maria,1980-04-02,2024-03-01,outpatient,MAT Clinic
"""
SHELTER = """Client ID,Stay ID,Last Name,First Name,DOB,Entry Date
H1,S9,Núñez,Mari,1980-04-02,2023-12-01
"""


def county_toml() -> str:
    return (data_dir("forms") / "county" / "juniper-county.toml").read_text(encoding="utf-8")


def person_of(ws: Workspace, source: str, key: str) -> str:
    return next(r.person for r in ws.find_records(key) if r.source == source)


@pytest.fixture
def county(workspace: Workspace, tmp_path: Path) -> Workspace:
    """The workspace with three sources imported and the sample county's settings."""
    for source, text in (("jail", JAIL), ("bh", BH), ("shelter", SHELTER)):
        path = tmp_path / f"{source}.csv"
        path.write_text(text, encoding="utf-8")
        workspace.import_files([path], source)
    workspace.set_county_settings(county_toml())
    return workspace


@pytest.fixture
def maria(county: Workspace) -> str:
    """María Núñez's person ID: her jail, behavioral health and shelter records linked as one person (as a link
    run would; set directly so that these tests do not depend on linkage)."""
    from sqlalchemy import update

    from ddj_desktop.store.models import Record

    with county.store.session() as session:
        session.execute(update(Record).where(Record.last_name == "NUNEZ").values(person_id=1))
    return "P000001"
