"""Quality of age reporting: digit preference (Whipple, Myers, Bachi) and the UN age-sex accuracy index.

All functions take counts by age and the ages they belong to (single years
for the heaping indices, 5-year groups for the age-sex accuracy index), as
arrays in any order; ages outside the range an index uses are ignored, and
every age inside it must be present. A ``NaN`` count inside the range makes
the index ``NaN``.

General source: Shryock, H. S. and Siegel, J. S. (1976) *The Methods and
Materials of Demography*, condensed ed. by E. G. Stockwell, Academic Press,
ch. 8 ("Age composition": Whipple's, Myers' and Bachi's indices, the
UN age-sex accuracy index); US Census Bureau, Population Analysis System
(PAS), spreadsheets SINGAGE (heaping indices) and AGESEX (age-sex accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AgeSexAccuracy", "bachi", "myers", "un_age_sex_accuracy", "whipple"]


def _by_age(counts, ages, lo: int, hi: int) -> np.ndarray:
    """Counts for the single ages lo..hi inclusive (index 0 = age lo); every age must be present."""
    c = np.asarray(counts, dtype=float)
    a = np.asarray(ages)
    if c.shape != a.shape or c.ndim != 1:
        raise ValueError("counts and ages must be 1-d arrays of the same length")
    if np.any(a != np.round(a)):
        raise ValueError("ages must be whole years")
    a = a.astype(int)
    out = np.full(hi - lo + 1, np.nan)
    present = np.zeros(hi - lo + 1, dtype=bool)
    inside = (a >= lo) & (a <= hi)
    if len(np.unique(a[inside])) != inside.sum():
        raise ValueError("each age may appear only once")
    out[a[inside] - lo] = c[inside]
    present[a[inside] - lo] = True
    if not present.all():
        missing = (np.flatnonzero(~present) + lo).tolist()
        raise ValueError(f"ages {missing} are needed for this index but absent")
    return out


def whipple(counts, ages, age_min=23, age_max=62, digits=(0, 5)):
    """Whipple's index of digit preference, on the 100 scale.

    Formula, over the single ages age_min..age_max (inclusive; the span must
    be a whole number of decades so each final digit occurs equally often)::

        W = (Σ P_a for a ending in one of ``digits``) / (Σ P_a) × 10 / len(digits) × 100

    The classic index (digits 0 and 5, ages 23–62) is
    ``5 × 100 × (P25 + P30 + … + P60) / (P23 + … + P62)``: 100 means no
    preference, 500 that every age ends in 0 or 5, 0 that none does. For a
    population whose numbers change linearly with age the index is exactly
    100 (each of the 8 ages ending in 0 or 5 is the centre of a 5-year group
    23–27, 28–32, …, 58–62).

    UN interpretation of the classic index: < 105 highly accurate, 105–109.9
    fairly accurate, 110–124.9 approximate, 125–174.9 rough, ≥ 175 very rough.

    Arguments:
        counts: population (or events) by single year of age; persons.
        ages: the age of each count, whole years.
        age_min, age_max: first and last age of the range, inclusive
            (defaults 23 and 62, the standard range).
        digits: preferred final digits, default (0, 5). ``(0,)`` gives the
            index for 0 alone (scale 0–1000), etc.

    The US Census Bureau's SINGAGE spreadsheet gives the same figure: its
    numerator ages 25–60 and denominator ages 23–62 are this range.

    Source: Shryock & Siegel (1976), ch. 8, "Whipple's index"; UN
    interpretation from the same chapter / UN *Demographic Yearbook*.

    Example:
        >>> ages = list(range(20, 70))
        >>> float(whipple([100] * 50, ages))
        100.0
    """
    if (age_max - age_min + 1) % 10 != 0:
        raise ValueError("age_max - age_min + 1 must be a multiple of 10")
    dig = {int(d) % 10 for d in digits}
    if not dig:
        raise ValueError("give at least one digit")
    p = _by_age(counts, ages, age_min, age_max)
    a = np.arange(age_min, age_max + 1)
    heaped = np.isin(a % 10, list(dig))
    total = p.sum()
    if total == 0 or np.isnan(total):
        return float("nan")
    return float(p[heaped].sum() / total * 10.0 / len(dig) * 100.0)


def _digit_shares_blended(p: np.ndarray, age_min: int, decades: int) -> np.ndarray:
    """Myers' blended percentages by final digit 0..9 from single-age counts starting at age_min."""
    s1 = np.zeros(10)
    s2 = np.zeros(10)
    for j in range(10):  # j-th age of each decade, i.e. digit (age_min + j) % 10
        d = (age_min + j) % 10
        s1[d] = p[j : 10 * (decades - 1) : 10].sum()  # series starting at age_min
        s2[d] = p[10 + j : 10 * decades : 10].sum()  # series starting at age_min + 10
    start_digit = age_min % 10
    # weight of the first series is 1..10 for the digits in order from age_min's digit,
    # the second series 9..0, so every digit gets a total weight of 10
    w1 = np.empty(10)
    for j in range(10):
        w1[(start_digit + j) % 10] = j + 1
    blended = w1 * s1 + (10 - w1) * s2
    return 100.0 * blended / blended.sum()


def myers(counts, ages, age_min=10, age_max=90):
    """Myers' blended index of digit preference (0 = none, 90 = all ages on one digit).

    Method: two overlapping series of single ages are summed by final digit —
    series 1 over ages [age_min, age_max − 10), series 2 over
    [age_min + 10, age_max) — and blended with weights so that each digit
    starts fairly::

        blended(d) = w(d) · S1(d) + (10 − w(d)) · S2(d),
        w = 1, 2, …, 10 for the digits in order starting from age_min's digit
        share(d) = 100 × blended(d) / Σ blended
        Myers = ½ Σ_d |share(d) − 10|      (= sum of the positive deviations)

    With the defaults, series 1 covers ages 10–79 and series 2 ages 20–89
    (the layout of the PAS SINGAGE spreadsheet); Shryock & Siegel's
    illustration uses 10–89 and 20–99, i.e. ``age_max=100``. The blending
    makes the index exactly 0 for any population that changes linearly with
    age, not only for a flat one.

    Arguments:
        counts: population by single year of age; persons.
        ages: the age of each count, whole years.
        age_min: first age of series 1 (default 10).
        age_max: end (exclusive) of series 2 (default 90); age_max − age_min
            must be a multiple of 10 and at least 20.

    Source: Myers, R. J. (1940) "Errors and bias in the reporting of ages in
    census data", *Transactions of the Actuarial Society of America* 41,
    395–415; Shryock & Siegel (1976), ch. 8, "Myers' blended method".

    Example:
        >>> ages = list(range(0, 100))
        >>> float(myers([100] * 100, ages))
        0.0
    """
    span = age_max - age_min
    if span % 10 != 0 or span < 20:
        raise ValueError("age_max - age_min must be a multiple of 10 and at least 20")
    decades = span // 10
    p = _by_age(counts, ages, age_min, age_max - 1)
    if np.isnan(p).any() or p.sum() == 0:
        return float("nan")
    shares = _digit_shares_blended(p, age_min, decades)
    return float(0.5 * np.abs(shares - 10.0).sum())


def bachi(counts, ages, age_min=23, age_max=77):
    """Bachi's index of digit preference (0 = none, 90 = all ages on one digit).

    Method (Bachi 1951, as applied in the US Census Bureau PAS spreadsheet
    SINGAGE): Whipple's method applied to each final digit in turn. For digit
    d, take the start age s_d in age_min..age_min+4 with s_d ≡ d (mod 5) and
    two windows of k whole decades, window I = [s_d, s_d + 10k) and window
    II = [s_d + 1, s_d + 10k], so that across the two windows the ages ending
    in d sit, on average, at the middle of their decades. Then::

        share(d) = (N_I(d) + N_II(d)) / (D_I(d) + D_II(d))
        Bachi = 100 × ½ Σ_d |share(d) − 0.1|     (= sum of positive deviations, in %)

    with N the population at ages ending in d and D the whole population in the
    window. k = ⌊(age_max − age_min − 4) / 10⌋ is the largest number of
    decades that fits: with the defaults (23–77), k = 5 and the windows span
    ages 23–77. Pooling numerators and denominators over the two windows (the
    PAS variant, rather than averaging the two ratios) makes the index exactly
    0 for a population that changes linearly with age.

    Arguments:
        counts: population by single year of age; persons.
        ages: the age of each count, whole years.
        age_min, age_max: range of ages, inclusive (defaults 23 and 77).

    Source: Bachi, R. (1951) "The tendency to round off age returns:
    measurement and correction", *Bulletin of the International Statistical
    Institute* 33(4), 195–222; Shryock & Siegel (1976), ch. 8, "Bachi's
    method"; US Census Bureau PAS, SINGAGE.

    Example:
        >>> ages = list(range(0, 100))
        >>> float(bachi([100] * 100, ages))
        0.0
    """
    k = (age_max - age_min - 4) // 10
    if k < 1:
        raise ValueError("age_max - age_min must be at least 14")
    p = _by_age(counts, ages, age_min, age_max)
    a = np.arange(age_min, age_max + 1)
    shares = np.empty(10)
    for d in range(10):
        s = next(age_min + j for j in range(5) if (age_min + j) % 5 == d % 5)
        num = den = 0.0
        for start in (s, s + 1):
            window = (a >= start) & (a < start + 10 * k)
            num += p[window & (a % 10 == d)].sum()
            den += p[window].sum()
        shares[d] = num / den if den > 0 else np.nan
    return float(100.0 * 0.5 * np.abs(shares - 0.1).sum())


@dataclass(frozen=True)
class AgeSexAccuracy:
    """Result of :func:`un_age_sex_accuracy`.

    Attributes:
        male_age_ratio_score: mean |age ratio − 100| for males.
        female_age_ratio_score: same for females.
        sex_ratio_score: mean |difference between successive sex ratios|.
        joint_score: male ARS + female ARS + 3 × SRS.
        age_starts: the age groups used (start ages).
        male_age_ratios, female_age_ratios: age ratios for the inner groups (NaN at both ends).
        sex_ratios: males per 100 females for each group.
    """

    male_age_ratio_score: float
    female_age_ratio_score: float
    sex_ratio_score: float
    joint_score: float
    age_starts: np.ndarray
    male_age_ratios: np.ndarray
    female_age_ratios: np.ndarray
    sex_ratios: np.ndarray


def un_age_sex_accuracy(males, females, age_starts, age_max=75):
    """United Nations age-sex accuracy index (joint score) for 5-year age groups.

    Formulas, over the closed 5-year groups starting at 0, 5, …, age_max − 5
    (default 0–4 … 70–74; any open group and older groups are left out)::

        age ratio     AR_x = 100 × 2 P_x / (P_{x−5} + P_{x+5})   for the inner groups 5–9 … 65–69
        ARS (each sex) = mean |AR_x − 100|
        sex ratio     SR_x = 100 × M_x / F_x                      for every group 0–4 … 70–74
        SRS = mean |SR_x − SR_{x−5}|                               (14 differences)
        joint score = ARS_male + ARS_female + 3 × SRS

    UN (1952) interpretation of the joint score: under 20 accurate, 20–40
    inaccurate, over 40 highly inaccurate. No adjustment for small
    populations is applied.

    Arguments:
        males, females: population by 5-year age group; persons.
        age_starts: start age of each group, e.g. ``[0, 5, …, 75]``; groups
            must be 5 years wide up to age_max.
        age_max: end (exclusive) of the last group used; default 75.

    Returns an :class:`AgeSexAccuracy`.

    Source: United Nations (1952) "Accuracy tests for census age distributions
    tabulated in five-year and ten-year groups", *Population Bulletin of the
    United Nations* 2, 59–79; Shryock & Siegel (1976), ch. 8; US Census Bureau
    PAS, spreadsheet AGESEX.

    Example:
        >>> r = un_age_sex_accuracy([100] * 16, [100] * 16, list(range(0, 80, 5)))
        >>> r.joint_score
        0.0
    """
    m_all = np.asarray(males, dtype=float)
    f_all = np.asarray(females, dtype=float)
    x_all = np.asarray(age_starts, dtype=float)
    if not (m_all.shape == f_all.shape == x_all.shape) or m_all.ndim != 1:
        raise ValueError("males, females and age_starts must be 1-d arrays of the same length")
    wanted = np.arange(0, age_max, 5)
    hits = []
    for age in wanted:
        hit = np.flatnonzero(x_all == age)
        if hit.size != 1:
            raise ValueError(f"the 5-year group starting at {age} is needed (exactly once)")
        hits.append(hit[0])
    idx = np.array(hits)
    m, f = m_all[idx], f_all[idx]

    def age_ratios(p):
        r = np.full(p.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            r[1:-1] = 200.0 * p[1:-1] / (p[:-2] + p[2:])
        return r

    mar, far = age_ratios(m), age_ratios(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = 100.0 * m / f
    ars_m = float(np.mean(np.abs(mar[1:-1] - 100.0)))
    ars_f = float(np.mean(np.abs(far[1:-1] - 100.0)))
    srs = float(np.mean(np.abs(np.diff(sr))))
    return AgeSexAccuracy(
        male_age_ratio_score=ars_m,
        female_age_ratio_score=ars_f,
        sex_ratio_score=srs,
        joint_score=ars_m + ars_f + 3.0 * srs,
        age_starts=wanted,
        male_age_ratios=mar,
        female_age_ratios=far,
        sex_ratios=sr,
    )
