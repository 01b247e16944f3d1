"""Small builders for linkage tests: identity rows with sensible defaults."""

from __future__ import annotations

from itertools import count

from ddj_desktop.linkage.frame import IdentityRow

_ids = count(1)


def row(source: str = "jail", key: str | None = None, **fields: object) -> IdentityRow:
    rid = int(fields.pop("id", next(_ids)))  # type: ignore[call-overload]
    return IdentityRow(id=rid, source=source, source_key=key or f"K{rid}", **fields)  # type: ignore[arg-type]
