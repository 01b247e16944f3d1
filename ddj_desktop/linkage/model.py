"""The Fellegi–Sunter model: for each comparison level, m = P(level | same person) and u = P(level | different
people); a pair's match weight is the prior log-odds plus the sum of log2(m/u) of its levels.

- u comes from random profile pairs (almost all of them are different people);
- m and the prior come from EM over the candidate pairs, without labels; u stays fixed;
- exact agreement on a name is weighed by how common the name is (term frequency): two SMITHs say less than
  two VIGILs;
- reviewer labels can re-estimate m later (`Model.with_labels`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ddj_desktop.errors import DdjError
from ddj_desktop.linkage.compare import COMPARISONS, Comparison


class ModelOutdated(DdjError):
    """A stored model whose comparison levels are not those of this version."""

# A level that no random pair shows (u would be 0) or that EM never sees gets this much weight of evidence.
PSEUDO_COUNT = 1.0
MIN_PROBABILITY = 1e-6
# No disagreement is impossible for one person (a middle name typed wrong, a sex code keyed wrong): m stays at
# least this, which bounds the weight against at about log2(M_FLOOR / u).
M_FLOOR = 0.003


def _normalise(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.full(counts.size, 1.0 / counts.size)


@dataclass
class Model:
    """m and u per comparison level, the prior match probability among candidate pairs, and how they came."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior: float  # P(same person) for a candidate pair
    comparisons: tuple[Comparison, ...] = COMPARISONS
    history: list[str] = field(default_factory=list)

    # -- weights --------------------------------------------------------------------------------------------
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def level_weights(self, name: str) -> np.ndarray:
        m = np.maximum(np.asarray(self.m[name]), M_FLOOR)
        u = np.maximum(np.asarray(self.u[name]), MIN_PROBABILITY)
        weights = np.log2(m / u)
        comparison = next((c for c in self.comparisons if c.name == name), None)
        if comparison is not None:
            for level in comparison.against:
                # Evidence against by design (one SSN digit apart: siblings), whatever EM saw.
                weights[level] = min(weights[level], weights[-1])
        return weights

    def weight_columns(self, matrix: np.ndarray, tf: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(pairs x comparisons) weights of a level matrix; NULL levels weigh 0. `tf` gives, per comparison
        with term frequency, the share of records holding the pair's value (used at exact agreement)."""
        out = np.zeros(matrix.shape, dtype=np.float64)
        for k, comparison in enumerate(self.comparisons):
            levels = matrix[:, k].astype(np.int64)
            table = np.r_[self.level_weights(comparison.name), 0.0]
            out[:, k] = table[levels]  # NULL (-1) picks the trailing 0
            if comparison.term_frequency and tf is not None and comparison.name in tf:
                exact = levels == 0
                u_exact = max(self.u[comparison.name][0], MIN_PROBABILITY)
                # Splink's adjustment: log2(u_exact / tf), with tf floored so a unique name cannot dominate.
                freq = np.maximum(tf[comparison.name][exact], u_exact / 20)
                out[exact, k] += np.log2(u_exact / freq)
        return out

    def match_weights(self, matrix: np.ndarray, tf: dict[str, np.ndarray] | None = None) -> np.ndarray:
        return self.prior_weight() + self.weight_columns(matrix, tf).sum(axis=1)

    # -- estimation -----------------------------------------------------------------------------------------
    @classmethod
    def estimate(
        cls, candidates: np.ndarray, random_pairs: np.ndarray, *, all_pairs: int,
        comparisons: tuple[Comparison, ...] = COMPARISONS, iterations: int = 40, tolerance: float = 1e-5,
    ) -> Model:
        """u from `random_pairs`; m by EM in training sessions over `candidates`; then the prior (`all_pairs`: how
        many pairs the candidates were chosen from, n(n-1)/2).

        Candidate pairs met because they agree on something (a DOB, a name), so among them even different people
        agree on that field far more often than random pairs do. As in Splink, each session therefore takes the
        pairs that agree exactly on one field and estimates m only for the *other* fields; each m comes from the
        first session (in TRAINING_SESSIONS order) that estimated it. The prior is then fitted over all candidates with m and u fixed."""
        u = {}
        for k, c in enumerate(comparisons):
            col = random_pairs[:, k]
            counts = np.bincount(col[col >= 0], minlength=len(c.levels)).astype(float)
            u[c.name] = list(_normalise(counts + PSEUDO_COUNT * 0.01))
        m = {c.name: list(_initial_m(len(c.levels))) for c in comparisons}
        model = cls(m=m, u=u, prior=0.01, comparisons=comparisons)
        model.history.append(f"u from {len(random_pairs)} random pairs")
        names = [c.name for c in comparisons]
        # EM works on the distinct level patterns and their counts, found once for all sessions.
        patterns, counts = unique_patterns(candidates)
        estimates: dict[str, list[np.ndarray]] = {name: [] for name in names}
        for session, fixed in TRAINING_SESSIONS:
            if not set(fixed) <= set(names):
                continue
            mask = np.ones(len(patterns), dtype=bool)
            for name in fixed:
                mask &= patterns[:, names.index(name)] == 0
            if counts[mask].sum() < 50:
                continue
            sub = patterns[mask].copy()
            for name in fixed:
                sub[:, names.index(name)] = -1  # ignored: it is what the session's pairs were chosen by
            trial = cls(m={k: list(v) for k, v in m.items()}, u=u, prior=0.3, comparisons=comparisons)
            rounds = trial.em(sub, counts[mask], iterations=iterations, tolerance=tolerance)
            model.history.append(
                f"session '{session}': EM over {int(counts[mask].sum())} pairs, {rounds} iterations")
            for name in names:
                if name not in fixed:
                    estimates[name].append(np.asarray(trial.m[name]))
        for name in names:
            if estimates[name]:
                # Sessions are listed most trustworthy first (same-SSN pairs are nearly all one person).
                model.m[name] = list(estimates[name][0])
        model.em(patterns, counts, iterations=iterations, tolerance=tolerance, prior_only=True)
        # The weights use u from random pairs, so the prior must be P(same person) for a random pair too, not
        # for a candidate pair (that would count the agreement that made it a candidate twice).
        expected_matches = model.prior * len(candidates)
        model.prior = float(min(max(expected_matches / max(all_pairs, 1), 1e-9), 0.5))
        model.history.append(
            f"prior {model.prior:.4g}: {expected_matches:.0f} expected matches among {len(candidates)} candidate pairs "
            f"of {all_pairs} pairs in all"
        )
        return model

    def em(self, matrix: np.ndarray, counts: np.ndarray | None = None, *, iterations: int = 40,
           tolerance: float = 1e-5, prior_only: bool = False) -> int:
        """Re-estimate m (unless `prior_only`) and the prior by expectation-maximisation over the level rows of
        `matrix`, each standing for `counts` pairs (default: one each); returns the iterations run."""
        if len(matrix) == 0:
            return 0
        if counts is None:
            patterns, counts = unique_patterns(matrix)
        else:
            patterns = matrix
        counts = np.asarray(counts, dtype=float)
        done = 0
        for _round in range(iterations):
            done += 1
            weights = self.match_weights(patterns)
            p = 1.0 / (1.0 + np.exp2(-np.clip(weights, -60, 60)))
            expected = p * counts
            prior = float(expected.sum() / counts.sum())
            change = abs(prior - self.prior)
            for k, c in enumerate(self.comparisons):
                if prior_only:
                    break
                col = patterns[:, k]
                seen = col >= 0
                if not seen.any():
                    continue
                m_counts = np.bincount(col[seen], weights=expected[seen], minlength=len(c.levels))
                new_m = _normalise(m_counts + PSEUDO_COUNT * 0.01)
                change = max(change, float(np.abs(new_m - np.asarray(self.m[c.name])).max()))
                self.m[c.name] = list(new_m)
            self.prior = min(max(prior, 1e-6), 1 - 1e-6)
            if change < tolerance:
                break
        return done

    def with_labels(self, matrix: np.ndarray, same: np.ndarray, *, strength: float = 1.0) -> Model:
        """A copy whose m is re-estimated from reviewer-labelled pairs (`same` True = same person), blended with
        the EM estimate; `strength` is how many labelled pairs the EM estimate counts as."""
        labelled = matrix[np.asarray(same, dtype=bool)]
        m = {}
        for k, c in enumerate(self.comparisons):
            col = labelled[:, k]
            counts = np.bincount(col[col >= 0], minlength=len(c.levels)).astype(float)
            m[c.name] = list(_normalise(counts + strength * np.asarray(self.m[c.name])))
        model = Model(m=m, u=dict(self.u), prior=self.prior, comparisons=self.comparisons,
                      history=[*self.history, f"m re-estimated with {len(labelled)} reviewer-labelled pairs"])
        return model

    # -- storage --------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"prior": self.prior, "m": self.m, "u": self.u, "history": self.history,
                "levels": {c.name: list(c.levels) for c in self.comparisons}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        names = set(data["m"])
        comparisons = tuple(c for c in COMPARISONS if c.name in names)
        levels = data.get("levels", {})
        if any(len(levels.get(c.name, c.levels)) != len(c.levels) or len(data["m"][c.name]) != len(c.levels)
               for c in comparisons):
            raise ModelOutdated(
                "The last link run was made by an earlier version of the linkage, whose comparisons differ.",
                hint="Run Link again (reviewer decisions are kept); then try this again.")
        return cls(m={k: list(v) for k, v in data["m"].items()}, u={k: list(v) for k, v in data["u"].items()},
                   prior=float(data["prior"]), comparisons=comparisons, history=list(data.get("history", [])))


# (session, the comparisons its pairs agree on exactly): see Model.estimate.
TRAINING_SESSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("same SSN", ("ssn",)),
    ("same date of birth", ("dob",)),
    ("same first and last name", ("first_name", "last_name")),
)


def unique_patterns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a (pairs x comparisons) level matrix and how often each occurs.

    Each row is packed into one int64 (4 bits per comparison), so this is a 1-D count, not a sort of rows."""
    if len(matrix) == 0:
        return matrix.reshape(0, matrix.shape[1] if matrix.ndim == 2 else 0), np.zeros(0, dtype=np.int64)
    width = matrix.shape[1]
    if width > 15 or int(matrix.max(initial=0)) > 14:
        patterns, counts = np.unique(matrix, axis=0, return_counts=True)
        return patterns, counts
    code = np.zeros(len(matrix), dtype=np.int64)
    for k in range(width):
        code = (code << 4) | (matrix[:, k].astype(np.int64) + 1)  # NULL (-1) packs as 0
    code.sort()
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    values, counts = code[starts], np.diff(np.r_[starts, code.size])
    patterns = np.empty((values.size, width), dtype=matrix.dtype)
    for k in range(width - 1, -1, -1):
        patterns[:, k] = (values & 15) - 1
        values = values >> 4
    return patterns, counts


def _initial_m(levels: int) -> np.ndarray:
    """A starting m that favours agreement: most mass on level 0, little on the last ("different") level."""
    start = np.array([0.6 / (2**i) for i in range(levels)])
    start[-1] = 0.05
    return _normalise(start)


def probability(weight: np.ndarray | float) -> np.ndarray | float:
    """Match probability of a match weight (log2 odds)."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))
