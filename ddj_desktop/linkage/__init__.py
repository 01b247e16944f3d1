"""Cross-agency record linkage (Qt-free): blocking, comparisons, a Fellegi–Sunter model estimated by EM,
clustering that does not chain strangers, stable person IDs, review pairs and explanations.

Entry points: `run.link_store` (a link run inside a store transaction; Workspace.link calls it),
`explain.explain_pair` / `explain.explain_person`, and `engine.link_frame` for linking a Frame without a store.
"""

from ddj_desktop.linkage.engine import LinkOutcome, LinkSettings, link_frame
from ddj_desktop.linkage.run import LinkSummary, link_store, pair_id

__all__ = ["LinkOutcome", "LinkSettings", "LinkSummary", "link_frame", "link_store", "pair_id"]
