"""Clustering profiles into persons without chaining strangers together.

Links are taken strongest first (greedy, like single linkage), but a link that would put strongly conflicting
records in one person is refused: two different full SSNs (a swap of two adjacent digits is a typo, not a
conflict), two different generational suffixes (JR and SR), or two clearly different dates of birth. Reviewer
decisions are hard constraints: "same" pairs are joined first whatever they hold, "different" pairs are never
joined, directly or through others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import JaroWinkler

from ddj_desktop.linkage.frame import Frame
from ddj_desktop.linkage.names import nickname_pairs


def ssn_conflict(a: int, b: int) -> bool:
    """Two full SSNs that cannot belong to one person: different, and not two adjacent digits swapped."""
    if a == b:
        return False
    da, db = f"{a:09d}", f"{b:09d}"
    diff = [i for i in range(9) if da[i] != db[i]]
    return not (len(diff) == 2 and diff[1] == diff[0] + 1 and da[diff[0]] == db[diff[1]] and da[diff[1]] == db[diff[0]])


def _different(a: int, b: int) -> bool:
    return a != b


def dob_conflict(a: int, b: int) -> bool:
    """Two dates of birth (YYYYMMDD) too far apart to be one person's with a typo: not equal, not a day/month
    swap, not one year off on the same day, not one digit apart, not within a month."""
    if a == b:
        return False
    ya, yb, mda, mdb = a // 10000, b // 10000, a % 10000, b % 10000
    if ya == yb and mda // 100 == mdb % 100 and mda % 100 == mdb // 100:
        return False
    if mda == mdb and abs(ya - yb) <= 1:
        return False
    sa, sb = str(a), str(b)
    diff = [i for i in range(min(len(sa), len(sb))) if sa[i] != sb[i]]
    if len(diff) == 1:
        return False
    try:
        days = abs((dt.date(ya, mda // 100, mda % 100) - dt.date(yb, mdb // 100, mdb % 100)).days)
    except ValueError:
        return True
    return days > 31


@dataclass
class _Group:
    members: list[int]
    ssns: set[int] = field(default_factory=set)
    suffixes: set[str] = field(default_factory=set)
    dobs: set[int] = field(default_factory=set)
    cannot: set[int] = field(default_factory=set)  # profiles this group must never hold
    firsts: dict[str, int] = field(default_factory=dict)  # first name -> records
    middles: set[str] = field(default_factory=set)
    lasts: set[str] = field(default_factory=set)
    tokens: _Tokens | None = None  # HMAC mode: names, DOBs and SSNs are token codes


class _Tokens:
    """HMAC mode: what the conflict checks need of the tokens, looked up by first-name token or DOB code."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        t = frame.tokens
        assert t is not None
        self.first_of = {w: p for p, w in enumerate(frame.first.tolist()) if w}
        self.dob_of = {int(d): p for p, d in enumerate(frame.dob.tolist()) if d > 0}
        self.prefix, self.nicknames = t["first_name_prefix"], t["first_name_nicknames"]
        self.swapped, self.later = t["dob_swapped"], t["dob_next_year"]
        self.year_month, self.drops = t["dob_year_month"], t["dob_drops"]

    def related_first(self, a: str, b: str) -> bool:
        """Equal, a nickname, or alike (same Soundex or first four letters): as `_related_first_names`."""
        if a == b:
            return True
        f, pa, pb = self.frame, self.first_of[a], self.first_of[b]
        if f.first_sound[pa] > 0 and f.first_sound[pa] == f.first_sound[pb]:
            return True
        if self.prefix[pa] > 0 and self.prefix[pa] == self.prefix[pb]:
            return True
        return bool((self.nicknames[pa] == f.first_id[pb]).any() or (self.nicknames[pb] == f.first_id[pa]).any())

    def dob_conflict(self, x: int, y: int) -> bool:
        """As `dob_conflict`, by tokens: not equal, not day/month swapped, not one year off, not one digit
        apart, not in the same month."""
        if x == y:
            return False
        pa, pb = self.dob_of[x], self.dob_of[y]
        if self.swapped[pa] == y or self.swapped[pb] == x or self.later[pa] == y or self.later[pb] == x:
            return False
        if self.year_month[pa] > 0 and self.year_month[pa] == self.year_month[pb]:
            return False
        return not ((self.drops[pa] == self.drops[pb]) & (self.drops[pa] > 0)).any()


_tokens_cache: dict[int, tuple[Frame, _Tokens]] = {}


def _tokens_of(frame: Frame) -> _Tokens:
    found = _tokens_cache.get(id(frame))
    if found is None or found[0] is not frame:
        _tokens_cache.clear()
        found = _tokens_cache[id(frame)] = (frame, _Tokens(frame))
    return found[1]


@dataclass
class ClusterResult:
    labels: np.ndarray  # int64 cluster number per profile (the smallest profile index in it)
    refused: int  # links refused because of a conflict
    forced: int  # reviewer "same" decisions applied


def _profile_group(frame: Frame, p: int) -> _Group:
    g = _Group([p], tokens=_tokens_of(frame) if frame.hashed else None)
    if frame.ssn[p] >= 0:
        g.ssns.add(int(frame.ssn[p]))
    if frame.suffix[p]:
        g.suffixes.add(frame.suffix[p])
    if frame.dob[p] > 0 and not frame.dob_approx[p]:
        g.dobs.add(int(frame.dob[p]))
    if frame.first[p]:
        g.firsts[frame.first[p]] = int(frame.size[p])
    if frame.middle[p]:
        g.middles.add(frame.middle[p])
    if frame.last[p]:
        g.lasts.add(frame.last[p])
    return g


def _absorb(ga: _Group, gb: _Group) -> None:
    ga.members.extend(gb.members)
    ga.ssns |= gb.ssns
    ga.suffixes |= gb.suffixes
    ga.dobs |= gb.dobs
    ga.cannot |= gb.cannot
    for name, records in gb.firsts.items():
        ga.firsts[name] = ga.firsts.get(name, 0) + records
    ga.middles |= gb.middles
    ga.lasts |= gb.lasts


def persons_conflict(
    frame: Frame, labels: np.ndarray, a: np.ndarray, b: np.ndarray, check_dob: bool = True
) -> np.ndarray:
    """Per pair of persons (cluster labels `a[i]`, `b[i]`), whether joining them holds a conflict that the
    clustering refuses (two full SSNs, JR and SR, clearly different DOBs unless `check_dob` is off, twins'
    first names)."""
    if a.size == 0:
        return np.zeros(0, dtype=bool)
    wanted = np.unique(np.r_[a, b])
    members = np.flatnonzero(np.isin(labels, wanted))
    groups: dict[int, _Group] = {}
    for p in members[np.argsort(labels[members], kind="stable")].tolist():
        g = _profile_group(frame, p)
        label = int(labels[p])
        if label in groups:
            _absorb(groups[label], g)
        else:
            groups[label] = g
    return np.fromiter((_conflict(groups[x], groups[y], check_dob) for x, y in zip(a.tolist(), b.tolist())),
                       dtype=bool, count=a.size)


def _incompatible(xs: set[int], ys: set[int], conflict: Callable[[int, int], bool]) -> bool:
    """Whether each side holds a value that fits no value on the other. A person may hold a true SSN and two
    typos of it that are not typos of each other: each still fits the true one."""
    if not xs or not ys or xs == ys:
        return False
    return any(all(conflict(x, y) for y in ys) for x in xs) and any(all(conflict(x, y) for x in xs) for y in ys)


def _related_first_names(a: str, b: str) -> bool:
    if a == b or (a, b) in nickname_pairs():
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return JaroWinkler.similarity(a, b) >= 0.8


def _swapped(a: _Group, b: _Group) -> bool:
    """One group's records have first and last name in each other's fields: a first name of `a` is (close to) a
    last name of `b` *and* a last name of `a` (close to) a first name of `b`. One name alone is not enough: a
    twin's record with the names swapped must not make the other twin's first name look related. Close means
    equal or Jaro-Winkler >= 0.9 (a slip): looser, a surname and a first name alike (GARCIA, MARIA) would pass."""
    def close(x: str, y: str) -> bool:
        return x == y or (a.tokens is None and JaroWinkler.similarity(x, y) >= 0.9)

    return (any(close(f, last) for f in a.firsts for last in b.lasts)
            and any(close(last, f) for last in a.lasts for f in b.firsts))


def _attested(g: _Group) -> bool:
    """Whether two or more of the group's records carry one first name (or its nicknames and near spellings): a
    group of CONNOR and STILRING is not a person well known by either name. A record with the names swapped
    counts for its first name (JOSE GARCIA and GARCIA JOSE: JOSE twice)."""
    if sum(g.firsts.values()) < 2:
        return False
    if any(n >= 2 or f in g.lasts for f, n in g.firsts.items()):
        return True
    related = g.tokens.related_first if g.tokens else _related_first_names
    return any(sum(n for h, n in g.firsts.items() if related(f, h)) >= 2 for f in g.firsts)


def _first_name_conflict(a: _Group, b: _Group) -> bool:
    """Twins: each group is well attested (two or more records) under a first name, its first names are unrelated
    to every first and middle name of the other (not equal, not a nickname, not a near spelling), and neither
    group holds the other's names swapped (ISABELLE KAMINSKAS / KAMINSKAS ISABELLE)."""
    if not _attested(a) or not _attested(b):
        return False
    for f in a.firsts:
        if f in b.middles:
            return False
        for g in b.firsts:
            if g in a.middles or (a.tokens.related_first(f, g) if a.tokens else _related_first_names(f, g)):
                return False
    return not _swapped(a, b)


def _conflict(a: _Group, b: _Group, check_dob: bool) -> bool:
    if _first_name_conflict(a, b):
        return True
    if _incompatible(a.ssns, b.ssns, _different if a.tokens else ssn_conflict):
        return True
    if a.suffixes and b.suffixes and a.suffixes != b.suffixes:
        return True
    if check_dob and _incompatible(a.dobs, b.dobs, a.tokens.dob_conflict if a.tokens else dob_conflict):
        return True
    if a.cannot and not a.cannot.isdisjoint(b.members):
        return True
    return bool(b.cannot) and not b.cannot.isdisjoint(a.members)


def cluster(
    frame: Frame,
    left: np.ndarray,
    right: np.ndarray,
    strength: np.ndarray,
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    check_dob: bool = True,
) -> ClusterResult:
    """Persons (as profile labels) from links `left[i]`-`right[i]`, strongest `strength` first, refusing
    merges that conflict; `must_link` / `cannot_link` are profile pairs decided by reviewers.

    Most linked components cannot hold a conflict at all (one SSN, one DOB, one first name ...): for them the
    greedy order does not matter and the person is the connected component, found with numpy. Only the links
    of the other components go through the greedy loop in Python."""
    n = frame.profiles
    must_link, cannot_link = list(must_link), list(cannot_link)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    component = connected_components(n, left, right)
    unsafe = _may_conflict(frame, component, check_dob)
    for a, b in [*must_link, *cannot_link]:
        unsafe[component[a]] = unsafe[component[b]] = True
    slow = unsafe[component[left]]
    labels = component.copy()
    result = _greedy(frame, left[slow], right[slow], np.asarray(strength)[slow], must_link, cannot_link, check_dob)
    touched = unsafe[component] | (result.labels != np.arange(n))
    labels[touched] = result.labels[touched]
    return ClusterResult(labels, result.refused, result.forced)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per node, the smallest node index of its connected component (vectorised label propagation)."""
    labels = np.arange(n, dtype=np.int64)
    if left.size == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        while True:  # pointer jumping: each node straight to its label's label
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def _distinct_per_component(component: np.ndarray, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per component (indexed by its label), how many distinct present values its nodes hold."""
    code = component[present] * (int(values.max(initial=0)) + 1) + values[present]
    code.sort()
    firsts = code[np.r_[True, code[1:] != code[:-1]]] if code.size else code
    return np.bincount(firsts // (int(values.max(initial=0)) + 1), minlength=component.size)


def _may_conflict(frame: Frame, component: np.ndarray, check_dob: bool) -> np.ndarray:
    """Per component label, whether any two of its profiles could conflict (see `_conflict`)."""
    suffix_code = np.unique(frame.suffix, return_inverse=True)[1].astype(np.int64)
    unsafe = _distinct_per_component(component, frame.ssn, frame.ssn >= 0) > 1
    unsafe |= _distinct_per_component(component, suffix_code, frame.suffix != "") > 1
    if check_dob:
        unsafe |= _distinct_per_component(component, frame.dob, (frame.dob > 0) & ~frame.dob_approx) > 1
    # Two first names, each on two or more records, need four records at least.
    records = np.bincount(component, weights=frame.size * (frame.first_id > 0), minlength=component.size)
    unsafe |= (_distinct_per_component(component, frame.first_id, frame.first_id > 0) > 1) & (records >= 4)
    return unsafe


def _greedy(
    frame: Frame, left: np.ndarray, right: np.ndarray, strength: np.ndarray, must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]], check_dob: bool,
) -> ClusterResult:
    n = frame.profiles
    parent = list(range(n))
    groups: dict[int, _Group] = {}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def group(root: int) -> _Group:
        g = groups.get(root)
        if g is None:
            g = groups[root] = _profile_group(frame, root)
        return g

    def union(ra: int, rb: int) -> None:
        ga, gb = group(ra), group(rb)
        if len(ga.members) < len(gb.members):
            ra, rb, ga, gb = rb, ra, gb, ga
        parent[rb] = ra
        _absorb(ga, gb)
        del groups[rb]

    for a, b in cannot_link:
        group(find(a)).cannot.add(b)
        group(find(b)).cannot.add(a)
    forced = 0
    for a, b in must_link:
        ra, rb = find(a), find(b)
        if ra != rb:
            union(ra, rb)
            forced += 1

    refused = 0
    order = np.lexsort((right, left, -strength))
    for k in order:
        a, b = int(left[k]), int(right[k])
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if _conflict(group(ra), group(rb), check_dob):
            refused += 1
            continue
        union(ra, rb)

    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    # Label each cluster by its smallest profile index, so labels do not depend on merge order.
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, roots, np.arange(n))
    return ClusterResult(smallest[roots], refused, forced)
