"""Comparisons: for each candidate pair, one level per field, computed on whole arrays at once.

Level 0 is the strongest agreement, the last level is "different"; NULL (-1) means the field is missing on one
side and says nothing. String similarity is Jaro–Winkler from RapidFuzz (`process.cpdist`, which compares the
i-th string of one list with the i-th of the other, in C, on all cores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from ddj_desktop.linkage import names
from ddj_desktop.linkage.frame import Frame

NULL = -1


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str
    levels: tuple[str, ...]  # labels, strongest agreement first, "different" (or the like) last
    term_frequency: bool = False  # exact agreement weighed by how common the value is
    against: tuple[int, ...] = ()  # levels that never count for a match, whatever EM estimates


FIRST = Comparison("first_name", "first name", (
    "exact",
    "nickname (e.g. BILL / WILLIAM)",
    "close spelling (Jaro-Winkler >= 0.92)",
    "first name is the other's middle name",
    "similar (Jaro-Winkler >= 0.80, same sound or initial)",
    "different",
), term_frequency=True)  # fmt: skip
LAST = Comparison("last_name", "last name", (
    "exact",
    "first and last name swapped",
    "one part of a double or hyphenated surname",
    "close spelling (Jaro-Winkler >= 0.92)",
    "similar (Jaro-Winkler >= 0.80 or same sound)",
    "one record's first name is the other's last name",
    "different",
), term_frequency=True)  # fmt: skip
MIDDLE = Comparison("middle_name", "middle name", ("same", "initial agrees", "different"))
SUFFIX = Comparison("suffix", "name suffix", ("same", "conflict (e.g. JR / SR)"), against=(1,))
DOB = Comparison("dob", "date of birth", (
    "exact",
    "day and month swapped",
    "one year apart, same day and month",
    "one digit differs",
    "within a month",
    "same day and month, other year",
    "same year (approximate date)",
    "different",
))  # fmt: skip
SSN = Comparison("ssn", "SSN", (
    "exact",
    "two adjacent digits swapped",
    "last four agree (one side has only the last four)",
    "one digit differs (siblings, e.g. twins)",
    "different",
), against=(3,))  # fmt: skip
SEX = Comparison("sex", "sex", ("same", "different"))
AGENCY = Comparison("agency_id", "agency person ID", (
    "same person ID in the same source (or sources sharing IDs)",
    "different person IDs in the same source (or sources sharing IDs)",
))  # fmt: skip
ADDRESS = Comparison("address", "address", (
    "same address",
    "close (>= 0.90: Jaro-Winkler without spaces, or the same words in another order)",
    "one holds the other's words (a street, unit or locality left off)",
    "similar (>= 0.75)",
    "some words in common (token-set ratio >= 0.60; HMAC mode: two words)",
    "different",
), term_frequency=True)  # fmt: skip
ZIP = Comparison("zip", "ZIP code", ("same", "one digit differs or two adjacent digits swapped", "different"))

COMPARISONS: tuple[Comparison, ...] = (FIRST, LAST, MIDDLE, SUFFIX, DOB, SSN, SEX, AGENCY, ADDRESS, ZIP)


def _jaro_winkler(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1)


def _pair_codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    return a.astype(np.int64) * n + b.astype(np.int64)


_nickname_cache: dict[int, tuple[int, np.ndarray]] = {}


def _nickname_codes(frame: Frame) -> np.ndarray:
    """Sorted codes (a * V + b) of the vocabulary pairs that the nickname table relates."""
    cached = _nickname_cache.get(id(frame.vocab))
    size = len(frame.vocab.words)
    if cached is not None and cached[0] == size:
        return cached[1]
    ids = frame.vocab.ids
    codes = [ids[a] * size + ids[b] for a, b in names.nickname_pairs() if a in ids and b in ids]
    result = np.unique(np.array(codes, dtype=np.int64))
    _nickname_cache.clear()
    _nickname_cache[id(frame.vocab)] = (size, result)
    return result


def _initial_agrees(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One side is only an initial (negative code, see Frame) and it is the other's first letter."""
    return (a != 0) & (b != 0) & ((a < 0) | (b < 0)) & (np.abs(a) == np.abs(b))


def _is_nickname_pair(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    if table.size == 0 or codes.size == 0:
        return np.zeros(codes.size, dtype=bool)
    at = np.minimum(np.searchsorted(table, codes), table.size - 1)
    return table[at] == codes


_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _one_digit_and_transposition(
    a: np.ndarray, b: np.ndarray, width: int, where: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(differs in exactly one digit, differs by one swap of two adjacent digits) of non-negative numbers of at
    most `width` digits, computed only `where` given (False elsewhere). Arithmetic, not digit by digit:

    - one digit p differs  <=>  a - b = c * 10^p with 0 < |c| <= 9, and a and b agree above digit p;
    - digits p+1 and p swapped  <=>  a - b = 9 * (x - y) * 10^p, agree above p+1 and below p, and the two
      digits of a are those of b in the other order."""
    one, swap = np.zeros(len(a), dtype=bool), np.zeros(len(a), dtype=bool)
    rows = np.flatnonzero(a != b) if where is None else np.flatnonzero(where & (a != b))
    if rows.size == 0:
        return one, swap
    a, b = a[rows], b[rows]
    diff = np.abs(a - b)
    p = np.clip(np.floor(np.log10(np.maximum(diff, 1))).astype(np.int64), 0, width - 1)
    # log10 of an exact power of ten can round down: when 10^(p+1) <= diff, step up.
    p = np.minimum(p + (_POWERS[np.minimum(p + 1, 18)] <= diff), width - 1)
    pw = _POWERS[p]
    one[rows] = (diff % pw == 0) & (a // (pw * 10) == b // (pw * 10))
    nine = diff % 9 == 0
    e = diff // 9
    q = np.clip(np.floor(np.log10(np.maximum(e, 1))).astype(np.int64), 0, width - 2)
    q = np.minimum(q + (_POWERS[np.minimum(q + 1, 18)] <= e), width - 2)
    qw = _POWERS[q]
    same_rest = (a // (qw * 100) == b // (qw * 100)) & (a % qw == b % qw)
    a1, a0, b1, b0 = (a // (qw * 10)) % 10, (a // qw) % 10, (b // (qw * 10)) % 10, (b // qw) % 10
    swap[rows] = nine & (e > 0) & (e % qw == 0) & same_rest & (a1 == b0) & (a0 == b1)
    return one, swap


def _swapped_with_typo(frame: Frame, left: np.ndarray, right: np.ndarray, fa: np.ndarray, fb: np.ndarray,
                       la: np.ndarray, lb: np.ndarray) -> np.ndarray:
    """First and last name entered in each other's fields, with a slip in one of them (CLARKE ISABELLA /
    ISABELLA CLAREK): each name is close (Jaro-Winkler >= 0.85) to the other record's other name."""
    out = np.zeros(left.size, dtype=bool)
    idx = np.flatnonzero((fa > 0) & (fb > 0) & (la > 0) & (lb > 0) & (fa != fb) & (la != lb)
                         & ((fa == lb) | (la == fb) | (frame.first_initial[left] == frame.last_initial[right])))
    if idx.size == 0:
        return out
    across = _jaro_winkler(frame.first[left[idx]], frame.last[right[idx]])
    idx = idx[across >= 0.85]
    back = _jaro_winkler(frame.last[left[idx]], frame.first[right[idx]])
    out[idx[back >= 0.85]] = True
    return out


def compare_pairs(frame: Frame, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """Per comparison name, the int8 level of each pair (NULL when a side is missing)."""
    out = _hashed_levels(frame, left, right) if frame.hashed else _plain_levels(frame, left, right)
    _common_levels(frame, left, right, out)
    return out


def _common_levels(frame: Frame, left: np.ndarray, right: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """Suffix, sex, agency ID and ZIP: compared alike in plain and HMAC mode (IDs by their codes)."""
    sa, sb = frame.suffix[left], frame.suffix[right]
    has = (sa != "") & (sb != "")
    suffix = np.where(sa == sb, 0, 1).astype(np.int8)
    suffix[~has] = NULL
    out[SUFFIX.name] = suffix

    # -- sex and agency ID
    xa, xb = frame.sex[left], frame.sex[right]
    sex = np.where(xa == xb, 0, 1).astype(np.int8)
    sex[(xa == 0) | (xb == 0)] = NULL
    out[SEX.name] = sex

    same_space = frame.id_space[left] == frame.id_space[right]
    ga, gb = frame.agency_id[left], frame.agency_id[right]
    agency = np.where(ga == gb, 0, 1).astype(np.int8)
    agency[~same_space | (ga == 0) | (gb == 0)] = NULL
    out[AGENCY.name] = agency

    za, zb = frame.zip[left], frame.zip[right]
    zip_level = np.where(za == zb, 0, 2).astype(np.int8)
    one_digit, transposed = _one_digit_and_transposition(za, zb, 5, (za > 0) & (zb > 0))
    zip_level[one_digit | transposed] = 1
    zip_level[(za == 0) | (zb == 0)] = NULL
    out[ZIP.name] = zip_level


def _plain_levels(frame: Frame, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    n = left.size
    out: dict[str, np.ndarray] = {}
    vocab_size = len(frame.vocab.words)

    # -- names
    fa, fb = frame.first_id[left], frame.first_id[right]
    la, lb = frame.last_id[left], frame.last_id[right]
    ma, mb = frame.middle_id[left], frame.middle_id[right]
    swapped = (fa > 0) & (la > 0) & (fa == lb) & (la == fb) & (fa != la)
    swapped |= _swapped_with_typo(frame, left, right, fa, fb, la, lb)

    first = np.full(n, FIRST.levels.index("different"), dtype=np.int8)
    has = (fa > 0) & (fb > 0)
    jw_first = np.zeros(n, dtype=np.float32)
    idx = np.flatnonzero(has & (fa != fb))
    jw_first[idx] = _jaro_winkler(frame.first[left[idx]], frame.first[right[idx]])
    initial = _initial_agrees(frame.first_initial[left], frame.first_initial[right])
    sound = (frame.first_sound[left] == frame.first_sound[right]) & has
    nick = np.zeros(n, dtype=bool)
    nick[idx] = _is_nickname_pair(_pair_codes(fa[idx], fb[idx], vocab_size), _nickname_codes(frame))
    goes_by_middle = ((fa == mb) & (fa > 0)) | ((fb == ma) & (fb > 0))
    first[has & ((jw_first >= 0.80) | sound | initial)] = 4
    first[goes_by_middle] = 3
    first[has & (jw_first >= 0.92)] = 2
    first[nick] = 1
    first[has & (fa == fb)] = 0
    first[~has & ~goes_by_middle] = NULL
    first[swapped] = NULL  # the swap is counted once, on the last name
    out[FIRST.name] = first

    last = np.full(n, LAST.levels.index("different"), dtype=np.int8)
    has = (la > 0) & (lb > 0)
    jw_last = np.zeros(n, dtype=np.float32)
    idx = np.flatnonzero(has & (la != lb))
    jw_last[idx] = _jaro_winkler(frame.last[left[idx]], frame.last[right[idx]])
    sound = (frame.last_sound[left] == frame.last_sound[right]) & has
    pa1, pa2 = frame.last_part1[left], frame.last_part2[left]
    pb1, pb2 = frame.last_part1[right], frame.last_part2[right]
    part = has & ((pa1 == pb1) | (pa1 == pb2) | (pa2 == pb1) | (pa2 == pb2))
    # A name in the other field, the other name changed (GLOSTER RILY / MIA GLOSTER): weaker than a swap.
    across = (fa > 0) & (la > 0) & (fb > 0) & (lb > 0) & ((fa == lb) | (la == fb)) & (fa != la) & (fb != lb)
    last[has & across] = 5
    last[has & ((jw_last >= 0.80) | sound)] = 4
    last[has & (jw_last >= 0.92)] = 3
    last[part] = 2
    last[swapped] = 1
    last[has & (la == lb)] = 0
    last[~has] = NULL
    out[LAST.name] = last

    middle = np.full(n, 2, dtype=np.int8)
    has = (ma > 0) & (mb > 0)
    middle[has & _initial_agrees(frame.middle_initial[left], frame.middle_initial[right])] = 1
    middle[has & (ma == mb)] = 0
    middle[~has] = NULL
    out[MIDDLE.name] = middle

    # -- date of birth
    da, db = frame.dob[left], frame.dob[right]
    approx = frame.dob_approx[left] | frame.dob_approx[right]
    has = (da > 0) & (db > 0)
    dob = np.full(n, DOB.levels.index("different"), dtype=np.int8)
    ya, yb = da // 10000, db // 10000
    mda, mdb = da % 10000, db % 10000
    one_digit, _ = _one_digit_and_transposition(da, db, 8, has & (da != db))
    days = np.abs(frame.dob_days[left] - frame.dob_days[right])
    dob[has & (mda == mdb)] = 5
    dob[has & (days <= 31)] = 4
    dob[has & one_digit] = 3
    dob[has & (mda == mdb) & (np.abs(ya - yb) == 1)] = 2
    swap = (ya == yb) & (mda // 100 == mdb % 100) & (mda % 100 == mdb // 100)
    dob[has & swap] = 1
    dob[has & (da == db)] = 0
    # An approximate DOB (HMIS: January 1 of the year) only tells the year.
    dob[has & approx] = np.where(ya == yb, 6, 7)[has & approx]
    dob[~has] = NULL
    out[DOB.name] = dob

    # -- SSN
    a, b = frame.ssn[left], frame.ssn[right]
    full = (a >= 0) & (b >= 0)
    ssn = np.full(n, SSN.levels.index("different"), dtype=np.int8)
    one_digit, transposed = _one_digit_and_transposition(a, b, 9, full & (a != b))
    ssn[full & one_digit] = 3
    ssn[full & transposed] = 1
    ssn[full & (a == b)] = 0
    l4a, l4b = frame.ssn_last4[left], frame.ssn_last4[right]
    out[SSN.name] = _last_four(ssn, full, l4a, l4b, ~full & (l4a >= 0) & (l4b >= 0))

    # -- address and ZIP (people move: EM learns how little a different address says)
    aa, ab = frame.address_id[left], frame.address_id[right]
    has = (aa > 0) & (ab > 0)
    address = np.full(n, ADDRESS.levels.index("different"), dtype=np.int8)
    idx = np.flatnonzero(has & (aa != ab))
    if idx.size:
        # Clerks split and join words ("BURNIE S TREET") and put the suburb first: compare without spaces,
        # and word sets in sorted order.
        xa, xb = frame.address[left[idx]], frame.address[right[idx]]
        squeezed = _jaro_winkler(frame.address_squeezed[left[idx]], frame.address_squeezed[right[idx]])
        words = process.cpdist(xa, xb, scorer=fuzz.token_sort_ratio, workers=-1) / 100.0
        best = np.maximum(squeezed, words)
        # Word sets (token-set ratio), where they can tell something Jaro-Winkler did not:
        # - "7 VILLA 5" in "7 INA GREGORY CIRCUIT VILLA 5", "123 MAIN ST" in "123 MAIN ST APT 4": the shorter
        #   address is, but for a slip, inside the other. Only where both have two words or more (a lone house
        #   number does not count) and start with the same word (the house number).
        # - The house number and locality kept and the street replaced, or only the locality given ("TANNAMURRA
        #   TOORMINA" / "103 AMESS PLACE TANNAMURRA TOORMINA"): some words in common, where the address is not
        #   similar otherwise. Little where every address ends in the same town: how much it is worth, EM and the
        #   random pairs say.
        # One scorer pass over both kinds of pair.
        number = frame.address_number[left[idx]]
        same_number = (number > 0) & (number == frame.address_number[right[idx]])
        unlike = best < 0.75
        scored = np.flatnonzero(same_number | unlike)
        word_sets = np.zeros(idx.size)
        if scored.size:
            word_sets[scored] = process.cpdist(xa[scored], xb[scored], scorer=fuzz.token_set_ratio, workers=-1)
        held = same_number & (word_sets >= 95)
        address[idx[unlike & (word_sets >= 60)]] = 4
        address[idx[best >= 0.75]] = 3
        address[idx[held]] = 2
        address[idx[best >= 0.90]] = 1
    address[has & (aa == ab)] = 0
    address[~has] = NULL
    out[ADDRESS.name] = address
    return out


def _any_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, whether a token of `a` (rows of codes, 0 = none) equals the token `b` (or one of its row at the
    same position, when `b` has rows too)."""
    if b.ndim == 1:
        return ((a == b[:, None]) & (a > 0)).any(axis=1)
    return ((a == b) & (a > 0)).any(axis=1)


def _hashed_levels(frame: Frame, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """The levels of HMAC-mode pairs: each fuzzy level becomes the equality of a token made for it (see
    linkage/hashed.py): a nickname is the other's name among the first name's nickname tokens; close spelling is
    the same Soundex and first four letters; within a month is the same year and month."""
    n = left.size
    out: dict[str, np.ndarray] = {}
    t = frame.tokens
    assert t is not None

    def pair(field: str) -> tuple[np.ndarray, np.ndarray]:
        return t[field][left], t[field][right]

    fa, fb = frame.first_id[left], frame.first_id[right]
    la, lb = frame.last_id[left], frame.last_id[right]
    ma, mb = frame.middle_id[left], frame.middle_id[right]
    fsa, fsb = frame.first_sound[left], frame.first_sound[right]
    lsa, lsb = frame.last_sound[left], frame.last_sound[right]
    fpa, fpb = pair("first_name_prefix")
    lpa, lpb = pair("last_name_prefix")
    swapped = (fa > 0) & (la > 0) & (fa == lb) & (la == fb) & (fa != la)
    # Swapped with a slip in one name: one name across equal, the other across sounding alike.
    swapped |= (fa > 0) & (la > 0) & (fb > 0) & (lb > 0) & (fa != fb) & (la != lb) & (
        ((fa == lb) & (lsa == fsb) & (lsa > 0)) | ((la == fb) & (fsa == lsb) & (fsa > 0)))

    first = np.full(n, FIRST.levels.index("different"), dtype=np.int8)
    has = (fa > 0) & (fb > 0)
    sound, prefix = (fsa == fsb) & (fsa > 0), (fpa == fpb) & (fpa > 0)
    goes_by_middle = ((fa == mb) & (fa > 0)) | ((fb == ma) & (fb > 0))
    first[has & (sound | prefix)] = 4
    first[goes_by_middle] = 3
    first[has & sound & prefix] = 2
    nicks_a, nicks_b = pair("first_name_nicknames")
    first[has & (_any_equal(nicks_a, fb) | _any_equal(nicks_b, fa))] = 1
    first[has & (fa == fb)] = 0
    first[~has & ~goes_by_middle] = NULL
    first[swapped] = NULL
    out[FIRST.name] = first

    last = np.full(n, LAST.levels.index("different"), dtype=np.int8)
    has = (la > 0) & (lb > 0)
    sound, prefix = (lsa == lsb) & (lsa > 0), (lpa == lpb) & (lpa > 0)
    pa1, pa2 = frame.last_part1[left], frame.last_part2[left]
    pb1, pb2 = frame.last_part1[right], frame.last_part2[right]
    part = has & (pa1 > 0) & (pb1 > 0) & ((pa1 == pb1) | (pa1 == pb2) | (pa2 == pb1) | (pa2 == pb2))
    across = (fa > 0) & (la > 0) & (fb > 0) & (lb > 0) & ((fa == lb) | (la == fb)) & (fa != la) & (fb != lb)
    last[has & across] = 5
    last[has & (sound | prefix)] = 4
    last[has & sound & prefix] = 3
    last[part] = 2
    last[swapped] = 1
    last[has & (la == lb)] = 0
    last[~has] = NULL
    out[LAST.name] = last

    middle = np.full(n, 2, dtype=np.int8)
    has = (ma > 0) & (mb > 0)
    ia, ib = pair("middle_initial")
    middle[has & (ia == ib) & (ia > 0)] = 1
    middle[has & (ma == mb)] = 0
    middle[~has] = NULL
    out[MIDDLE.name] = middle

    da, db = frame.dob[left], frame.dob[right]
    has = (da > 0) & (db > 0)
    approx = frame.dob_approx[left] | frame.dob_approx[right]
    dob = np.full(n, DOB.levels.index("different"), dtype=np.int8)
    mda, mdb = pair("dob_month_day")
    yma, ymb = pair("dob_year_month")
    sa, sb = pair("dob_swapped")
    na, nb = pair("dob_next_year")
    dra, drb = pair("dob_drops")
    dob[has & (mda == mdb) & (mda > 0)] = 5
    dob[has & (yma == ymb) & (yma > 0)] = 4  # same month: "within a month", as near as tokens can tell
    dob[has & _any_equal(dra, drb)] = 3
    dob[has & (((na == db) & (na > 0)) | ((nb == da) & (nb > 0)))] = 2
    dob[has & (((sa == db) & (sa > 0)) | ((sb == da) & (sb > 0)))] = 1
    dob[has & (da == db)] = 0
    ya, yb = frame.year_code[left], frame.year_code[right]  # type: ignore[index]
    dob[has & approx] = np.where(ya == yb, 6, 7)[has & approx]
    dob[~has] = NULL
    out[DOB.name] = dob

    a, b = frame.ssn[left], frame.ssn[right]
    full = (a > 0) & (b > 0)
    ssn = np.full(n, SSN.levels.index("different"), dtype=np.int8)
    swa, swb = pair("ssn_swaps")
    sda, sdb = pair("ssn_drops")
    ssn[full & _any_equal(sda, sdb)] = 3
    ssn[full & (_any_equal(swa, b) | _any_equal(swb, a))] = 1
    ssn[full & (a == b)] = 0
    l4a, l4b = frame.ssn_last4[left], frame.ssn_last4[right]
    out[SSN.name] = _last_four(ssn, full, l4a, l4b, ~full & (l4a > 0) & (l4b > 0))  # tokens: 0 is none

    aa, ab = frame.address_id[left], frame.address_id[right]
    has = (aa > 0) & (ab > 0)
    address = np.full(n, ADDRESS.levels.index("different"), dtype=np.int8)
    idx = np.flatnonzero(has & (aa != ab))
    if idx.size:
        li, ri = left[idx], right[idx]
        wa, wb = t["address_words"][li], t["address_words"][ri]
        shared = ((wa[:, :, None] == wb[:, None, :]) & (wa[:, :, None] > 0)).any(axis=2).sum(axis=1)
        na, nb = (wa > 0).sum(axis=1), (wb > 0).sum(axis=1)
        held = (np.minimum(na, nb) >= 2) & (shared == np.minimum(na, nb))
        start = (t["address_start"][li] == t["address_start"][ri]) & (t["address_start"][li] > 0)
        close = (t["address_squeezed"][li] == t["address_squeezed"][ri]) | (
            t["address_sorted"][li] == t["address_sorted"][ri])
        address[idx[shared >= 2]] = 4  # some words in common
        # "similar": the house number and street start alike, or two words in common and half the words.
        address[idx[start | ((shared >= 2) & (2 * shared >= np.maximum(na, nb)))]] = 3
        address[idx[held]] = 2
        address[idx[close]] = 1
    address[has & (aa == ab)] = 0
    address[~has] = NULL
    out[ADDRESS.name] = address
    return out


def _last_four(ssn: np.ndarray, full: np.ndarray, l4a: np.ndarray, l4b: np.ndarray, partial: np.ndarray) -> np.ndarray:
    """`ssn` with its pairs lacking a full SSN on a side levelled on the last four digits where both have them
    (`partial`), and null where they do not: plain and hashed comparisons share it."""
    ssn[partial] = np.where(l4a == l4b, 2, 4)[partial]
    ssn[~full & ~partial] = NULL
    return ssn


def level_matrix(levels: dict[str, np.ndarray], comparisons: tuple[Comparison, ...] = COMPARISONS) -> np.ndarray:
    """The levels as one (pairs x comparisons) int8 matrix, columns in `comparisons` order."""
    if not comparisons:
        return np.zeros((0, 0), dtype=np.int8)
    return np.stack([levels[c.name] for c in comparisons], axis=1)
