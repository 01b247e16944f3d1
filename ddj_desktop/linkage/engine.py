"""The linkage run on a Frame, without the store: block, compare, estimate, score, cluster, pick review pairs."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ddj_desktop.linkage import blocking, compare
from ddj_desktop.linkage.cluster import ClusterResult, cluster, persons_conflict
from ddj_desktop.linkage.frame import Frame
from ddj_desktop.linkage.model import Model, probability
from ddj_desktop.progress import NullProgress, Progress, check_cancelled

# How many labelled pairs the EM estimate of m counts as when reviewer labels re-estimate it: a few labels nudge m,
# hundreds decide it (labels come from the uncertain band, so a handful must not override EM).
LABEL_STRENGTH = 100.0


# Pairs compared and scored at a time: bounds the temporaries (a dozen arrays per pair) at a million records.
CHUNK = 1_000_000


@dataclass(frozen=True)
class LinkSettings:
    """What a county can tune. Thresholds are match probabilities."""

    link_threshold: float = 0.95  # at or above: same person (unless the clustering finds a conflict)
    review_threshold: float = 0.70  # at or above, below link_threshold: the review queue
    max_block: int = 50  # blocks bigger than this are paired by sorted neighbourhood ...
    window: int = 10  # ... with this many neighbours
    random_pairs: int = 400_000  # sampled to estimate u
    em_iterations: int = 40
    seed: int = 20260630
    # Groups of sources whose agency person IDs are one namespace (e.g. two hospitals sharing MRNs): their IDs
    # are compared across the sources too. Elsewhere an agency person ID is compared only within its source.
    id_namespaces: tuple[tuple[str, ...], ...] = ()
    # The clustering refuses to join clearly different dates of birth (namesakes, father and son) only where the
    # data shows DOBs to be reliable: while the model estimates that at most this share of true matches have a
    # clearly different DOB. Where more do (a source that keys DOBs badly, aliases given at booking), a different
    # DOB is ordinary noise and the match weight alone decides.
    dob_conflict_max_m: float = 0.02
    # HMAC mode (linkage/hashed.py): link on keyed tokens of the identifiers, made with the store's linkage key.
    # On by itself when the store holds hashed records (an agency that sends only hashes).
    hashed: bool = False

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class LinkOutcome:
    """What a run found, in profile terms (see Frame)."""

    settings: LinkSettings
    model: Model
    left: np.ndarray  # candidate pairs
    right: np.ndarray
    levels: np.ndarray  # (pairs x comparisons) int8
    weights: np.ndarray  # match weight per candidate pair
    probabilities: np.ndarray
    per_rule: dict[str, int]
    clusters: ClusterResult
    review: np.ndarray  # indexes into the candidate pairs: the review queue, one per pair of persons
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return self.clusters.labels


def term_frequencies(frame: Frame, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """Per name comparison, the share of records with the pair's value (meaningful where the two agree)."""
    return {
        compare.FIRST.name: np.maximum(frame.first_freq[left], frame.first_freq[right]),
        compare.LAST.name: np.maximum(frame.last_freq[left], frame.last_freq[right]),
        compare.ADDRESS.name: np.maximum(frame.address_freq[left], frame.address_freq[right]),
    }


def exact_identity(frame: Frame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Pairs that agree exactly on full SSN, DOB and last name: linked first, whatever the model says."""
    return (
        (frame.ssn[left] >= 0) & (frame.ssn[left] == frame.ssn[right])
        & (frame.dob[left] > 0) & (frame.dob[left] == frame.dob[right])
        & (frame.last_id[left] > 0) & (frame.last_id[left] == frame.last_id[right])
    )  # fmt: skip


def _levels(frame: Frame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The (pairs x comparisons) level matrix, computed CHUNK pairs at a time so temporaries stay small."""
    out = np.empty((len(left), len(compare.COMPARISONS)), dtype=np.int8)
    for s in range(0, len(left), CHUNK):
        out[s:s + CHUNK] = compare.level_matrix(compare.compare_pairs(frame, left[s:s + CHUNK], right[s:s + CHUNK]))
    return out


def random_profile_pairs(frame: Frame, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n = frame.profiles
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rng = np.random.default_rng(seed)
    count = int(min(count, n * (n - 1) // 2))
    a = rng.integers(0, n, size=count)
    b = rng.integers(0, n - 1, size=count)
    b = b + (b >= a)  # never a profile with itself
    return np.minimum(a, b), np.maximum(a, b)


def link_frame(
    frame: Frame,
    settings: LinkSettings | None = None,
    *,
    model: Model | None = None,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    labelled: Iterable[tuple[int, int, bool]] = (),
    progress: Progress | None = None,
) -> LinkOutcome:
    """Link the profiles of `frame`. With `model` given, it is used as is (no estimation); otherwise m is
    estimated by EM and then re-estimated with `labelled` profile pairs (reviewer decisions: True = same)."""
    settings = settings or LinkSettings()
    progress = progress or NullProgress()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    progress.update(0.0, "Finding candidate pairs")
    candidates = blocking.candidate_pairs(frame, max_block=settings.max_block, window=settings.window)
    left, right = candidates.left, candidates.right
    lap("blocking")
    check_cancelled(progress)

    progress.update(0.25, f"Comparing {len(left):,} candidate pairs")
    levels = _levels(frame, left, right)
    lap("comparing")
    check_cancelled(progress)

    if model is None:
        progress.update(0.5, "Estimating the model (EM)")
        ra, rb = random_profile_pairs(frame, settings.random_pairs, settings.seed)
        random_levels = compare.level_matrix(compare.compare_pairs(frame, ra, rb))
        model = Model.estimate(levels, random_levels, all_pairs=frame.profiles * (frame.profiles - 1) // 2,
                               iterations=settings.em_iterations)
        labelled = [(a, b, same) for a, b, same in labelled if a != b]
        if labelled:
            la, lb, same = (np.array(x) for x in zip(*labelled, strict=True))
            label_levels = compare.level_matrix(compare.compare_pairs(frame, la, lb))
            model = model.with_labels(label_levels, same, strength=LABEL_STRENGTH)
        lap("estimating")
        check_cancelled(progress)

    progress.update(0.65, "Scoring")
    weights = np.concatenate([
        model.match_weights(levels[s:s + CHUNK], term_frequencies(frame, left[s:s + CHUNK], right[s:s + CHUNK]))
        for s in range(0, len(left), CHUNK)
    ]) if len(left) else np.zeros(0)
    exact = exact_identity(frame, left, right)
    weights[exact] = np.maximum(weights[exact], 60.0)
    probabilities = np.asarray(probability(weights))
    lap("scoring")

    progress.update(0.75, "Clustering")
    check_dob = dob_is_reliable(model, settings)
    link = probabilities >= settings.link_threshold
    clusters = cluster(frame, left[link], right[link], weights[link], must_link=must_link, cannot_link=cannot_link,
                       check_dob=check_dob)
    labels = clusters.labels
    lap("clustering")
    check_cancelled(progress)

    band = np.flatnonzero(
        (probabilities >= settings.review_threshold) & (labels[left] != labels[right])
    )
    # A question whose "same" would join two persons the clustering refuses to join (two full SSNs, JR and SR,
    # clearly different DOBs, twins) is not asked: the answer is almost always "no" and it changes nothing.
    band = band[~persons_conflict(frame, labels, labels[left[band]], labels[right[band]], check_dob)]
    review = _one_per_person_pair(band, labels[left[band]], labels[right[band]], probabilities[band])
    lap("review")
    progress.update(1.0, "Linked")
    return LinkOutcome(settings, model, left, right, levels, weights, probabilities, candidates.per_rule, clusters,
                       review, timings)


def dob_is_reliable(model: Model, settings: LinkSettings) -> bool:
    """Whether the clustering should refuse clearly different DOBs: see LinkSettings.dob_conflict_max_m."""
    m = model.m.get(compare.DOB.name)
    return m is None or float(m[-1]) <= settings.dob_conflict_max_m


def _one_per_person_pair(index: np.ndarray, la: np.ndarray, lb: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Of pairs between the same two persons, only the strongest: the question is asked once. And a person is
    asked about only its likeliest other person (a lone JOHN SMITH record is not asked about every JOHN SMITH):
    a pair stays if it is the strongest of either of its persons."""
    if index.size == 0:
        return index
    lo, hi = np.minimum(la, lb), np.maximum(la, lb)
    order = np.lexsort((-p, hi, lo))
    index, lo, hi, p = index[order], lo[order], hi[order], p[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    index, lo, hi, p = index[first], lo[first], hi[first], p[first]
    keep = np.zeros(index.size, dtype=bool)
    for side in (lo, hi):
        order = np.lexsort((-p, side))
        best = np.r_[True, side[order][1:] != side[order][:-1]]
        keep[order[best]] = True
    return np.sort(index[keep])
