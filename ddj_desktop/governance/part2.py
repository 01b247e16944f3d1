"""42 CFR Part 2: which records a role may not see. The county settings name the sources that are Part 2 programs
(`part2_sources`, e.g. a substance-use treatment provider's extract) and the roles that may see their records
(`part2_roles`, default admin and analyst).

To a role that may not, a Part 2 record does not exist: it is left out of searches, person views, pair views,
explanations, exports, lists, form names and disclosures (a disclosure that would hold one is refused), with no
marker in its place; the consents that cover Part 2 records are left out of the consent register's lists too. A marker ("1 record withheld under
42 CFR Part 2") beside a person would itself disclose what Part 2 protects, that this person is a patient of a
substance-use program, so it is never shown per person. Where counting honestly matters to the work, the count is
given in aggregate with no one named: the review queue says how many pairs it holds back for a colleague whose role
may see them. Council reports are aggregate and de-identified (small cells suppressed), so they count Part 2
records for every role; the link run uses every record, so persons are the same whoever looks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from ddj_desktop.store.models import Record, Source


@dataclass(frozen=True)
class Withheld:
    """The sources whose records the acting role may not see (none: it sees everything)."""

    ids: frozenset[int] = frozenset()
    names: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.ids)

    def visible(self, source_id_column=Record.source_id):  # type: ignore[no-untyped-def]
        """A WHERE clause keeping only the records the role may see."""
        return source_id_column.not_in(sorted(self.ids)) if self.ids else true()

    def hides(self, source: str) -> bool:
        return source.strip().lower() in self.names


def withheld(session: Session, role: str) -> Withheld:
    """The Part 2 sources `role` may not see, under the county settings in the store (none without settings)."""
    from ddj_desktop.consent.register import county_settings

    county = county_settings(session)
    if county is None or role in county.part2_roles or not county.part2_sources:
        return Withheld()
    rows = session.execute(select(Source.id, Source.name).where(Source.name.in_(county.part2_sources))).all()
    return Withheld(frozenset(r[0] for r in rows), frozenset(county.part2_sources))
