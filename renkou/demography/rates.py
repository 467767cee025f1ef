"""Crude and fertility rates, sex ratio at birth, and changes between periods.

Every function takes plain numbers or NumPy arrays and returns NumPy values
(a 0-d float for scalar input). Conventions that hold throughout:

* A missing value is ``NaN``, never zero. ``0 / 0`` is ``NaN`` (no events
  among no people is not a rate of zero), as is any division by a zero
  population, and any ``NaN`` input makes the result ``NaN``.
* Rates are per ``per`` persons (default 1,000, i.e. per mille, ‰), as in
  renkou DESIGN.md §4. Age-specific fertility rates are per woman, so that
  the total fertility rate comes out in children per woman.

General source for the definitions: Preston, S. H., Heuveline, P. and
Guillot, M. (2001) *Demography: Measuring and Modeling Population
Processes*, Oxford: Blackwell, ch. 1 (crude rates, person-years and the
mid-period approximation) and ch. 5 (fertility: GFR, ASFR, TFR, mean age at
childbearing); Shryock, H. S. and Siegel, J. S. (1976) *The Methods and
Materials of Demography*, condensed ed. by E. G. Stockwell, ch. 7 (sex
composition, sex ratio) and the natality chapters (fertility measures).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "asfr",
    "crude_rate",
    "general_fertility_rate",
    "mean_age_at_childbearing",
    "mid_period_population",
    "points_change",
    "sex_ratio_at_birth",
    "tfr",
]


def _ratio(numerator, denominator, scale=1.0):
    """``scale * numerator / denominator`` with 0/0 and x/0 as NaN (never 0 or inf)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = scale * num / den
    return np.where(den == 0, np.nan, out)[()]


def crude_rate(events, mid_population, per=1000):
    """Crude rate: events in a period per ``per`` persons of the mid-period population.

    Formula::

        rate = events / P̄ × per

    Used for the crude birth rate (CBR), crude death rate (CDR) and the move-in
    and move-out rates of DESIGN.md §4. For a one-year period, P̄ approximates the
    person-years lived; for a shorter period the result is a rate *for that
    period*, not an annualised one (divide by the period length in years to
    annualise).

    Arguments:
        events: number of events (births, deaths, moves) in the period; count.
        mid_population: mid-period population P̄; persons (see
            :func:`mid_period_population`).
        per: multiplier; 1000 gives ‰ (default), 100 gives %.

    Returns ``NaN`` where the population is zero or either input is ``NaN``.

    Source: Preston, Heuveline & Guillot (2001), ch. 1 (crude birth and death
    rates, person-years).

    Example:
        >>> float(crude_rate(120, 10_000))
        12.0
        >>> import math; math.isnan(crude_rate(0, 0))
        True
    """
    return _ratio(events, mid_population, per)


def mid_period_population(start, end):
    """Mid-period population: the mean of the populations at the start and end of the period.

    Formula::

        P̄ = (P_start + P_end) / 2

    This is the linear approximation to the person-years lived in the period
    divided by its length.

    Arguments:
        start: population at the start of the period; persons.
        end: population at the end of the period; persons.

    Source: Preston, Heuveline & Guillot (2001), ch. 1 (approximating
    person-years by the mid-period population).

    Example:
        >>> float(mid_period_population(9_900, 10_100))
        10000.0
    """
    return ((np.asarray(start, dtype=float) + np.asarray(end, dtype=float)) / 2.0)[()]


def general_fertility_rate(births, women_15_49, per=1000):
    """General fertility rate (GFR): births per ``per`` women aged 15–49 at mid-period.

    Formula::

        GFR = B / W(15–49) × per

    Arguments:
        births: live births in the period (all ages of mother); count.
        women_15_49: mid-period number of women aged 15–49; persons.
        per: multiplier, default 1000 (‰).

    Source: Preston, Heuveline & Guillot (2001), ch. 5;
    Shryock & Siegel (1976), natality chapters ("general fertility rate").

    Example:
        >>> float(general_fertility_rate(300, 6_000))
        50.0
    """
    return _ratio(births, women_15_49, per)


def asfr(births_by_age, women_by_age):
    """Age-specific fertility rates: births to women of an age group per woman of that group.

    Formula, for each age group [x, x+n)::

        nFx = nBx / nWx

    Arguments:
        births_by_age: births by age group of the mother (usually 15–19 … 45–49);
            counts, array.
        women_by_age: mid-period number of women in the same age groups;
            persons, array of the same shape.

    Returns rates per woman (multiply by 1000 for the ‰ figure often printed).
    A group with no women is ``NaN``.

    Source: Preston, Heuveline & Guillot (2001), ch. 5 (age-specific fertility rates).

    Example:
        >>> asfr([10, 50], [1000, 1000]).tolist()
        [0.01, 0.05]
    """
    return _ratio(births_by_age, women_by_age)


def tfr(asfr, width=5):
    """Total fertility rate: the sum of age-specific rates times the width of the age groups.

    Formula::

        TFR = n × Σ_x nFx        (n = width of the age groups in years)

    The number of children a woman would bear if she lived through the
    reproductive ages at the period's rates. Any ``NaN`` rate makes the TFR
    ``NaN``: a missing age group is not a group with no births.

    Arguments:
        asfr: age-specific fertility rates per woman (not per 1000) for
            consecutive age groups, e.g. 15–19 … 45–49; array.
        width: width n of each age group in years; 5 for five-year groups,
            1 for single years.

    Source: Preston, Heuveline & Guillot (2001), ch. 5 (total fertility rate).

    Example:
        >>> round(float(tfr([0.02, 0.1, 0.1, 0.06, 0.02, 0.0, 0.0])), 6)
        1.5
    """
    rates = np.asarray(asfr, dtype=float)
    return float(width) * np.sum(rates, axis=-1)


def mean_age_at_childbearing(asfr, age_starts, width=5):
    """Mean age at childbearing (MAC): the mean age of mothers, weighted by the period's rates.

    Formula, with mid-points x + n/2 of the age groups::

        MAC = Σ (x + n/2) × nFx / Σ nFx

    Weighting by rates (not by births) removes the effect of the age structure
    of the women, so this is the mean age at childbearing in the fertility
    schedule. To get the mean age of the mothers of the births actually
    registered, pass the births by age instead of the rates.

    Arguments:
        asfr: age-specific fertility rates (or births) by age group; array.
        age_starts: exact age at the start of each group, in years, e.g.
            ``[15, 20, …, 45]``.
        width: width n of each age group in years.

    Source: Preston, Heuveline & Guillot (2001), ch. 5 (mean age at
    childbearing).

    Example:
        >>> float(mean_age_at_childbearing([0.1, 0.1], [20, 25]))
        25.0
    """
    rates = np.asarray(asfr, dtype=float)
    mid = np.asarray(age_starts, dtype=float) + width / 2.0
    return _ratio(np.sum(rates * mid, axis=-1), np.sum(rates, axis=-1))


def sex_ratio_at_birth(male, female):
    """Sex ratio at birth (SRB): male births per 100 female births.

    Formula::

        SRB = B_male / B_female × 100

    The biological norm is about 103–107. With few births the ratio is very
    noisy; always show it with :func:`renkou.demography.intervals.srb_interval`
    and flag it below 1,000 births.

    Arguments:
        male: number of male live births; count.
        female: number of female live births; count.

    Source: Shryock & Siegel (1976), ch. 7 ("sex ratio at birth").

    Example:
        >>> float(sex_ratio_at_birth(530, 500))
        106.0
    """
    return _ratio(male, female, 100.0)


def points_change(new, old):
    """Change between two periods in points of the rate (千分点 for ‰, 百分点 for %).

    Formula::

        change = rate_new − rate_old

    Never a ratio of rates: a CBR going from 10 ‰ to 12 ‰ is a change of
    +2 千分点, not "+20 %". Either side missing gives ``NaN``.

    Arguments:
        new: the rate in the later period (in its unit, e.g. ‰).
        old: the rate in the earlier period (same unit).

    Source: renkou DESIGN.md §4 (reporting convention: changes in 千分点 /
    百分点, as in Chinese official statistical reporting).

    Example:
        >>> float(points_change(12.0, 10.0))
        2.0
    """
    return (np.asarray(new, dtype=float) - np.asarray(old, dtype=float))[()]
