"""Rates: hand-countable examples and the conventions of DESIGN.md §4 (properties, no published figures)."""

import math

import numpy as np
import pytest

from renkou.demography import (
    asfr,
    crude_rate,
    general_fertility_rate,
    mean_age_at_childbearing,
    mid_period_population,
    points_change,
    sex_ratio_at_birth,
    tfr,
)


def test_crude_rate_per_thousand_and_percent():
    assert crude_rate(120, 10_000) == pytest.approx(12.0)
    assert crude_rate(5, 200, per=100) == pytest.approx(2.5)
    np.testing.assert_allclose(crude_rate([10, 20], [1000, 4000]), [10.0, 5.0])


def test_missing_is_nan_never_zero():
    # 0/0 is not a rate of zero; an empty denominator is missing, as is a missing numerator
    assert math.isnan(crude_rate(0, 0))
    assert math.isnan(crude_rate(3, 0))
    assert math.isnan(crude_rate(float("nan"), 100))
    assert math.isnan(sex_ratio_at_birth(0, 0))
    assert math.isnan(points_change(12.0, float("nan")))
    # a zero numerator over a real population is a genuine zero
    assert crude_rate(0, 500) == 0.0


def test_mid_period_population_is_the_mean_of_start_and_end():
    assert mid_period_population(9_900, 10_100) == 10_000
    np.testing.assert_allclose(mid_period_population([0, 10], [10, 30]), [5, 20])


def test_gfr_and_asfr():
    assert general_fertility_rate(300, 6_000) == pytest.approx(50.0)
    rates = asfr([10, 0, 50], [1000, 0, 2000])
    assert rates[0] == pytest.approx(0.01)
    assert math.isnan(rates[1])  # no women in the group: missing, not zero
    assert rates[2] == pytest.approx(0.025)


def test_tfr_of_a_constant_schedule():
    # property: a constant ASFR f over the seven 5-year groups 15-49 gives TFR = 35 f
    assert tfr([0.04] * 7) == pytest.approx(1.4)
    # single-year rates: width 1
    assert tfr([0.04] * 35, width=1) == pytest.approx(1.4)
    # a missing group makes the TFR missing rather than silently lower
    assert math.isnan(tfr([0.04] * 6 + [float("nan")]))


def test_mean_age_at_childbearing():
    # property: a constant schedule over 15-49 has its mean at the middle, 32.5
    assert mean_age_at_childbearing([0.05] * 7, list(range(15, 50, 5))) == pytest.approx(32.5)
    # all births at 25-29: mid-point 27.5
    assert mean_age_at_childbearing([0, 0, 0.1, 0, 0, 0, 0], list(range(15, 50, 5))) == pytest.approx(27.5)
    assert math.isnan(mean_age_at_childbearing([0, 0], [20, 25]))


def test_sex_ratio_at_birth_and_points():
    assert sex_ratio_at_birth(530, 500) == pytest.approx(106.0)
    # a change from 10 permille to 12 permille is +2 points, never "+20 %"
    assert points_change(12.0, 10.0) == pytest.approx(2.0)
    np.testing.assert_allclose(points_change([5.5, 7.0], [6.0, 7.0]), [-0.5, 0.0])
