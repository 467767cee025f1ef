"""renkou.demography: demographic methods as plain functions on NumPy arrays.

No Django here (a test checks it): every function can be read, run and checked
by a demographer with only NumPy. Each function's docstring gives what it
computes, the formula, the arguments with their units, the source, and an
example. Conventions: rates per 1,000 unless stated; a missing value is NaN,
never zero; changes between periods are differences in points.

Modules:
    rates         crude rates, GFR, ASFR, TFR, mean age at childbearing, SRB, change in points
    intervals     Poisson exact (Garwood) and Wilson score intervals, SRB interval, small-number flags
    life_tables   abridged period life table (Coale–Demeny a0/4a1, Preston et al. 2001)
    age_quality   Whipple, Myers, Bachi, UN age-sex accuracy index
"""

from .age_quality import AgeSexAccuracy, bachi, myers, un_age_sex_accuracy, whipple
from .intervals import (
    MIN_BIRTHS_FOR_SRB,
    MIN_EVENTS_FOR_RATE,
    gamma_quantile,
    normal_quantile,
    poisson_interval,
    rate_interval,
    regularized_gamma_p,
    small_number_flag,
    srb_interval,
    wilson_interval,
)
from .life_tables import LifeTable, coale_demeny_a0_4a1, life_table
from .rates import (
    asfr,
    crude_rate,
    general_fertility_rate,
    mean_age_at_childbearing,
    mid_period_population,
    points_change,
    sex_ratio_at_birth,
    tfr,
)

__all__ = [
    "MIN_BIRTHS_FOR_SRB",
    "MIN_EVENTS_FOR_RATE",
    "AgeSexAccuracy",
    "LifeTable",
    "asfr",
    "bachi",
    "coale_demeny_a0_4a1",
    "crude_rate",
    "gamma_quantile",
    "general_fertility_rate",
    "life_table",
    "mean_age_at_childbearing",
    "mid_period_population",
    "myers",
    "normal_quantile",
    "points_change",
    "poisson_interval",
    "rate_interval",
    "regularized_gamma_p",
    "sex_ratio_at_birth",
    "small_number_flag",
    "srb_interval",
    "tfr",
    "un_age_sex_accuracy",
    "whipple",
    "wilson_interval",
]
