"""Intervals: published figures (Garwood exact Poisson limits; Newcombe 1998 Wilson limits) and properties."""

import math

import numpy as np
import pytest

from renkou.demography import (
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

# ---------------------------------------------------------------- published figures

# PUBLISHED: exact (Garwood 1936, Biometrika 28:437) 95 % limits for a Poisson count, as printed to
# 4 decimals in the usual tables of exact Poisson confidence limits (e.g. 10 events: 4.7954-18.3904).
# Compared: lower and upper limit, tolerance 5e-5 (half a unit in the last printed place).
GARWOOD_95 = [
    (0, 0.0, 3.6889),
    (1, 0.0253, 5.5716),
    (2, 0.2422, 7.2247),
    (3, 0.6187, 8.7673),
    (5, 1.6235, 11.6683),
    (10, 4.7954, 18.3904),
    (20, 12.2165, 30.8884),
]


@pytest.mark.parametrize(("k", "lower", "upper"), GARWOOD_95)
def test_poisson_exact_limits_match_garwood_table(k, lower, upper):
    lo, hi = poisson_interval(k)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


# PUBLISHED: Newcombe, R. G. (1998) Statistics in Medicine 17:857-872, Table II, method 3 (Wilson
# score interval without continuity correction), 95 %. Compared: both limits, tolerance 5e-5
# (the table prints 4 decimals).
NEWCOMBE_1998_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "lower", "upper"), NEWCOMBE_1998_WILSON)
def test_wilson_limits_match_newcombe_1998(x, n, lower, upper):
    lo, hi = wilson_interval(x, n)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


# ---------------------------------------------------------------- properties and closed forms


def test_zero_events_upper_limit_is_minus_log_alpha_half():
    # PROPERTY (closed form): for k = 0 the upper limit solves exp(-mu) = alpha/2
    assert poisson_interval(0)[1] == pytest.approx(-math.log(0.025), rel=1e-12)
    assert poisson_interval(0, level=0.90)[1] == pytest.approx(-math.log(0.05), rel=1e-12)


@pytest.mark.parametrize("p", [1e-10, 1e-6, 0.001, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999, 1 - 1e-6])
def test_gamma_quantile_closed_forms(p):
    # PROPERTY (closed form): shape 1 is the exponential distribution, x = -ln(1 - p)
    assert gamma_quantile(p, 1.0) == pytest.approx(-math.log1p(-p), rel=1e-10)
    # PROPERTY (closed form): shape 1/2 is chi-square(1)/2, P(1/2, x) = erf(sqrt(x))
    x = gamma_quantile(p, 0.5)
    assert math.erf(math.sqrt(x)) == pytest.approx(p, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("a", [0.5, 1.0, 3.0, 10.0, 101.0, 1e4, 1e6])
@pytest.mark.parametrize("p", [1e-10, 0.025, 0.5, 0.975, 1 - 1e-6])
def test_gamma_quantile_inverts_the_incomplete_gamma(a, p):
    x = gamma_quantile(p, a)
    residual = regularized_gamma_p(a, x) - p
    density = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
    assert abs(residual) / (density * x) < 1e-10  # relative error in the quantile


def test_normal_quantile():
    # PROPERTY: Phi(z) = p to double precision; the familiar 1.959964 for 97.5 %
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, rel=1e-14)
    for p in [1e-12, 0.01, 0.3, 0.5, 0.8, 0.999]:
        z = normal_quantile(p)
        assert 0.5 * math.erfc(-z / math.sqrt(2)) == pytest.approx(p, rel=1e-13)


def test_wilson_edges():
    # PROPERTY: 0/n has lower limit exactly 0 and upper z^2/(n + z^2); n/n mirrors it
    z = normal_quantile(0.975)
    lo, hi = wilson_interval(0, 50)
    assert lo == 0.0 and hi == pytest.approx(z * z / (50 + z * z))
    lo, hi = wilson_interval(50, 50)
    assert hi == 1.0 and lo == pytest.approx(50 / (50 + z * z))
    lo, hi = wilson_interval(0, 0)
    assert math.isnan(lo) and math.isnan(hi)


def test_rate_interval_scales_the_count_interval():
    lo, hi = rate_interval(10, 2000, per=1000)
    k_lo, k_hi = poisson_interval(10)
    assert lo == pytest.approx(k_lo / 2)
    assert hi == pytest.approx(k_hi / 2)
    lo, hi = rate_interval([3, 4], [0, float("nan")])
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_srb_interval_contains_the_srb_and_is_wide_for_few_births():
    # the township case of issue 4: 27 boys and 5 girls give SRB 540, but the 95 % interval is
    # roughly 215 to 1357, and the figure is flagged as resting on fewer than 1,000 births
    lo, hi = srb_interval(27, 5)
    assert lo < 540 < hi
    assert lo == pytest.approx(214.92, abs=0.01) and hi == pytest.approx(1356.79, abs=0.01)
    assert small_number_flag(27 + 5, MIN_BIRTHS_FOR_SRB)
    # PROPERTY: the SRB interval is the Wilson interval for p = M/(M+F) mapped by 100 p/(1-p)
    p_lo, p_hi = wilson_interval(5300, 10300)
    lo, hi = srb_interval(5300, 5000)
    assert lo == pytest.approx(100 * p_lo / (1 - p_lo)) and hi == pytest.approx(100 * p_hi / (1 - p_hi))
    # large numbers (103,000 births): a narrow interval around 106
    lo, hi = srb_interval(53_000, 50_000)
    assert 104.5 < lo < 106 < hi < 107.5
    # no girls: the upper limit is infinite; no boys: the lower limit is 0
    assert srb_interval(3, 0)[1] == math.inf
    assert srb_interval(0, 3)[0] == 0.0


def test_small_number_flag_thresholds():
    assert MIN_BIRTHS_FOR_SRB == 1000 and MIN_EVENTS_FOR_RATE == 20
    np.testing.assert_array_equal(small_number_flag([0, 19, 20, 500]), [True, True, False, False])
    assert small_number_flag(999, MIN_BIRTHS_FOR_SRB) and not small_number_flag(1000, MIN_BIRTHS_FOR_SRB)
    # a missing count is missing (flagged elsewhere), not "small"
    assert not small_number_flag(float("nan"))
