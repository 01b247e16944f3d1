"""The review queue (Qt-free): uncertain pairs ordered by impact, reviewer decisions that bind later link runs,
unlimited undo, person review (weak chains, split, merge). Workspace calls it; CLI and desktop call Workspace.

Modules: `decisions` (the review_decision table and the decisions in force), `queue` (the queue and one pair as a
reviewer sees it), `service` (decide, undo, split, merge), `persons` (re-clustering touched persons, person
review), `impact` (pairs that would change the frequent-utilizer list).
"""

from ddj_desktop.review.decisions import DECISIONS, DIFFERENT, SAME, UNSURE, DecisionInfo, ReviewDecision
from ddj_desktop.review.persons import PersonReview, WeakChain
from ddj_desktop.review.queue import PairView, QueueItem, RecordView, ReviewQueue

__all__ = [
    "DECISIONS", "DIFFERENT", "SAME", "UNSURE", "DecisionInfo", "PairView", "PersonReview", "QueueItem", "RecordView",
    "ReviewDecision", "ReviewQueue", "WeakChain",
]
