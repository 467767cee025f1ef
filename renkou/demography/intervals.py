"""Confidence intervals for counts, rates, proportions and the sex ratio at birth; small-number flags.

Two interval methods are used, and every caller should say which:

* **Poisson exact (Garwood 1936)** for a count of events and for a rate
  (events / exposure). The limits are quantiles of the gamma distribution
  (equivalently χ²/2)::

      lower = G⁻¹(α/2;   k)          (0 when k = 0)
      upper = G⁻¹(1−α/2; k + 1)

  where G⁻¹(p; a) is the quantile of a gamma distribution with shape a and
  scale 1, and k is the observed count.
  Source: Garwood, F. (1936) "Fiducial limits for the Poisson distribution",
  *Biometrika* 28, 437–442.

* **Wilson score interval (Wilson 1927)** for a proportion x / n::

      p̂ = x / n,   z = Φ⁻¹(1 − α/2)
      centre    = (p̂ + z²/2n) / (1 + z²/n)
      halfwidth = z / (1 + z²/n) × √(p̂(1−p̂)/n + z²/4n²)

  Source: Wilson, E. B. (1927) "Probable inference, the law of succession,
  and statistical inference", *JASA* 22, 209–212; recommended by Brown,
  Cai & DasGupta (2001) "Interval estimation for a binomial proportion",
  *Statistical Science* 16, 101–133; worked values in Newcombe, R. G. (1998)
  "Two-sided confidence intervals for the single proportion: comparison of
  seven methods", *Statistics in Medicine* 17, 857–872, Table II.

Numerical method (no SciPy): the regularized lower incomplete gamma function
P(a, x) is computed by its power series for x < a + 1 and by Lentz's
continued fraction otherwise (Press et al., *Numerical Recipes*, 3rd ed.,
§6.2). The gamma quantile starts from the Wilson–Hilferty approximation
(or from the small-x expansion P ≈ xᵃ / Γ(a+1) when that is better) and is
refined by safeguarded Newton steps on P(a, x) − p, kept inside a bisection
bracket. The standard normal quantile uses Acklam's rational approximation
refined by one Halley step on ``math.erfc``. Accuracy: P(a, x) is accurate to
about 1e-15 × max(1, a) in absolute terms (rounding in the log of its
prefactor grows with a), which gives a relative error below 1e-10 in the
gamma quantile for shapes 0.5 ≤ a ≤ 10⁶ (counts up to a million) and
1e-10 ≤ p ≤ 1 − 1e-6. The tests check this against closed forms (the
exponential case a = 1 and the χ²₁ case a = 1/2) and against printed
Poisson limits.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "MIN_BIRTHS_FOR_SRB",
    "MIN_EVENTS_FOR_RATE",
    "gamma_quantile",
    "normal_quantile",
    "poisson_interval",
    "rate_interval",
    "regularized_gamma_p",
    "small_number_flag",
    "srb_interval",
    "wilson_interval",
]

#: Births below which an SRB is flagged (DESIGN.md §4 and issue 4: "flag when births < 1,000").
MIN_BIRTHS_FOR_SRB = 1000

#: Events below which a rate is flagged. The US National Center for Health Statistics
#: treats rates based on fewer than 20 events as unreliable (relative standard error
#: above about 23 %); see the technical notes of its National Vital Statistics Reports.
MIN_EVENTS_FOR_RATE = 20

_EPS = 1e-15


# --------------------------------------------------------------------------- special functions


def regularized_gamma_p(a: float, x: float) -> float:
    """Regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a).

    Formula: series ``P = e^{−x} xᵃ / Γ(a) × Σ_n xⁿ / (a (a+1) … (a+n))`` for
    x < a + 1, otherwise ``P = 1 − Q`` with Q from the continued fraction
    ``Q = e^{−x} xᵃ / Γ(a) × 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …)))``
    evaluated by the modified Lentz method.

    Arguments:
        a: shape, > 0.
        x: argument, ≥ 0.

    Source: Press, Teukolsky, Vetterling & Flannery, *Numerical Recipes*,
    3rd ed. (2007), §6.2, "Incomplete gamma function".

    Example:
        >>> round(regularized_gamma_p(1.0, 1.0), 12)  # 1 − e⁻¹
        0.632120558829
    """
    if a <= 0:
        raise ValueError("shape a must be positive")
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = 1.0 / a
        total = term
        ap = a
        for _ in range(100_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return min(1.0, total * math.exp(log_front))
    # continued fraction for Q(a, x), modified Lentz
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def normal_quantile(p: float) -> float:
    """Quantile Φ⁻¹(p) of the standard normal distribution.

    Method: P. J. Acklam's rational approximation (relative error 1.15e-9),
    refined by one Halley step using ``math.erfc``, giving full double
    precision in practice.

    Arguments:
        p: probability, 0 < p < 1.

    Source: Acklam, P. J. (2003) "An algorithm for computing the inverse normal
    cumulative distribution function" (web note); Halley refinement as given
    there.

    Example:
        >>> round(normal_quantile(0.975), 6)
        1.959964
    """
    if not 0.0 < p < 1.0:
        if p == 0.0:
            return -math.inf
        if p == 1.0:
            return math.inf
        return math.nan
    a = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    p_low = 0.02425
    if p < p_low:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    elif p <= 1.0 - p_low:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
        )
    else:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    # one Halley step
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def gamma_quantile(p: float, a: float) -> float:
    """Quantile of the gamma distribution with shape ``a`` and scale 1: x such that P(a, x) = p.

    Relation to χ²: the χ² quantile with ν degrees of freedom is
    ``2 × gamma_quantile(p, ν/2)``.

    Method: start from the Wilson–Hilferty approximation
    ``x₀ = a (1 − 1/(9a) + z √(1/(9a)))³`` with z = Φ⁻¹(p) (or from
    ``x₀ = (p Γ(a+1))^{1/a}`` in the lower tail where that is closer), then
    Newton steps ``x ← x − (P(a,x) − p) / f(x)``, f the gamma density, kept
    inside a shrinking bisection bracket, to a relative change below 1e-13.

    Arguments:
        p: probability, 0 ≤ p < 1.
        a: shape, > 0.

    Source: Wilson, E. B. and Hilferty, M. M. (1931) "The distribution of
    chi-square", *PNAS* 17, 684–688; Press et al., *Numerical Recipes*, 3rd ed.,
    §6.2 (inverse of the incomplete gamma function by Newton's method from a
    good first guess).

    Example:
        >>> round(gamma_quantile(0.975, 1.0), 6)  # −ln(0.025)
        3.688879
    """
    if a <= 0:
        raise ValueError("shape a must be positive")
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return math.inf
    z = normal_quantile(p)
    t = 1.0 / (9.0 * a)
    x = a * (1.0 - t + z * math.sqrt(t)) ** 3
    x_small = math.exp((math.log(p) + math.lgamma(a + 1.0)) / a)
    if x <= 0.0 or (
        x_small < a and abs(regularized_gamma_p(a, x_small) - p) < abs(regularized_gamma_p(a, x) - p)
    ):
        x = x_small
    lo, hi = 0.0, math.inf
    log_norm = math.lgamma(a)
    for _ in range(200):
        f = regularized_gamma_p(a, x) - p
        if f > 0:
            hi = min(hi, x)
        else:
            lo = max(lo, x)
        density = math.exp((a - 1.0) * math.log(x) - x - log_norm) if x > 0 else 0.0
        x_new = x - f / density if density > 0 else math.nan
        if not (lo < x_new < hi) or not math.isfinite(x_new):
            x_new = (lo + hi) / 2.0 if math.isfinite(hi) else max(2.0 * x, 1.0)
        if abs(x_new - x) <= 1e-13 * max(x_new, 1e-300):
            return x_new
        x = x_new
    return x


# --------------------------------------------------------------------------- intervals


def _alpha(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1, e.g. 0.95")
    return 1.0 - level


def poisson_interval(events, level=0.95):
    """Exact (Garwood) confidence interval for the mean of a Poisson count.

    Formula, for an observed count k and α = 1 − level::

        lower = χ²(α/2; 2k) / 2      = G⁻¹(α/2; k)       (0 for k = 0)
        upper = χ²(1−α/2; 2k+2) / 2  = G⁻¹(1−α/2; k+1)

    The interval is "exact" in the sense that its coverage is at least
    ``level`` for every true mean (it is conservative).

    Arguments:
        events: observed count(s) k ≥ 0; scalar or array. ``NaN`` gives ``NaN``.
        level: confidence level, default 0.95.

    Returns ``(lower, upper)`` in counts, each a float or array like ``events``.

    Source: Garwood (1936), *Biometrika* 28, 437–442.

    Example:
        >>> lo, hi = poisson_interval(0)
        >>> float(lo), round(float(hi), 3)
        (0.0, 3.689)
    """
    alpha = _alpha(level)
    k = np.asarray(events, dtype=float)
    lower = np.full(k.shape, np.nan)
    upper = np.full(k.shape, np.nan)
    for idx, value in np.ndenumerate(k):
        if not math.isfinite(value) or value < 0:
            continue
        lower[idx] = 0.0 if value == 0 else gamma_quantile(alpha / 2.0, value)
        upper[idx] = gamma_quantile(1.0 - alpha / 2.0, value + 1.0)
    return lower[()], upper[()]


def rate_interval(events, exposure, per=1000, level=0.95):
    """Exact Poisson confidence interval for a rate = events / exposure × per.

    Formula: the Garwood limits for the count (see :func:`poisson_interval`),
    divided by the exposure and multiplied by ``per``::

        lower = G⁻¹(α/2; k) / E × per,   upper = G⁻¹(1−α/2; k+1) / E × per

    The exposure (person-years, or the mid-period population for a one-year
    crude rate) is treated as fixed.

    Arguments:
        events: number of events k; count(s).
        exposure: person-years (or mid-period population); zero or ``NaN``
            gives ``NaN``.
        per: multiplier, default 1000 (‰).
        level: confidence level, default 0.95.

    Source: Garwood (1936); the rate form is the standard one for vital rates,
    e.g. Breslow, N. E. and Day, N. E. (1987) *Statistical Methods in Cancer
    Research*, vol. II, ch. 2.

    Example:
        >>> lo, hi = rate_interval(10, 1000)  # 10 ‰ from 10 events
        >>> round(float(lo), 2), round(float(hi), 2)
        (4.8, 18.39)
    """
    lower, upper = poisson_interval(events, level)
    e = np.asarray(exposure, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(e > 0, lower / e * per, np.nan)
        hi = np.where(e > 0, upper / e * per, np.nan)
    return lo[()], hi[()]


def wilson_interval(successes, n, level=0.95):
    """Wilson score confidence interval for a proportion x / n.

    Formula, with p̂ = x/n and z = Φ⁻¹(1 − α/2)::

        (p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)

    Unlike the Wald interval p̂ ± z√(p̂(1−p̂)/n) it never leaves [0, 1] and has
    close to nominal coverage for small n; for x = 0 the lower limit is 0 and
    for x = n the upper limit is 1.

    Arguments:
        successes: count(s) x, 0 ≤ x ≤ n.
        n: number of trials; n = 0 or ``NaN`` gives ``NaN``.
        level: confidence level, default 0.95.

    Returns ``(lower, upper)`` as proportions (multiply by 100 for %).

    Source: Wilson (1927); Brown, Cai & DasGupta (2001); Newcombe (1998),
    *Statistics in Medicine* 17, 857–872, method 3.

    Example:
        >>> lo, hi = wilson_interval(81, 263)
        >>> round(float(lo), 4), round(float(hi), 4)
        (0.2553, 0.3662)
    """
    alpha = _alpha(level)
    z = normal_quantile(1.0 - alpha / 2.0)
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        z2n = z * z / m
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(np.clip(p * (1.0 - p), 0.0, None) / m + z2n / (4.0 * m))
        lower = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        upper = np.where(x == m, 1.0, np.clip(centre + half, 0.0, 1.0))
    bad = ~(m > 0) | np.isnan(x)
    return np.where(bad, np.nan, lower)[()], np.where(bad, np.nan, upper)[()]


def srb_interval(male, female, level=0.95):
    """Confidence interval for the sex ratio at birth (males per 100 females).

    Formula: the Wilson score interval (p_L, p_U) for the proportion male
    p = M / (M + F) (see :func:`wilson_interval`), mapped through the
    increasing function SRB = 100 p / (1 − p)::

        lower = 100 p_L / (1 − p_L),   upper = 100 p_U / (1 − p_U)

    With no female births the upper limit is ``inf``; with no male births the
    lower limit is 0. Treating the births as independent Bernoulli trials
    ignores twins, a negligible effect.

    Arguments:
        male: male live births; count(s).
        female: female live births; count(s).
        level: confidence level, default 0.95.

    Source: Wilson (1927) applied to the proportion male, as in Newcombe (1998);
    the transformation of a binomial interval to the odds scale is standard
    (e.g. Brown, Cai & DasGupta 2001, section 1).

    Example (a township's 27 boys and 5 girls, SRB 540)::

        >>> lo, hi = srb_interval(27, 5)
        >>> round(float(lo)), round(float(hi))
        (215, 1357)
    """
    m = np.asarray(male, dtype=float)
    f = np.asarray(female, dtype=float)
    p_lo, p_hi = wilson_interval(m, m + f, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = 100.0 * p_lo / (1.0 - p_lo)
        hi = np.where(p_hi >= 1.0, np.inf, 100.0 * p_hi / (1.0 - p_hi))
    hi = np.where(np.isnan(p_hi), np.nan, hi)
    return lo[()], hi[()]


def small_number_flag(count, threshold=MIN_EVENTS_FOR_RATE):
    """True where a figure rests on fewer than ``threshold`` events or births.

    Formula: ``count < threshold``. ``NaN`` (missing) counts are *not* flagged
    as small: they are missing, which a caller reports with its own flag.

    Arguments:
        count: the denominator or numerator that limits precision — the number
            of events for a rate, the number of births (male + female) for an
            SRB; scalar or array.
        threshold: default :data:`MIN_EVENTS_FOR_RATE` (20 events, the NCHS
            reliability rule for rates). Pass :data:`MIN_BIRTHS_FOR_SRB`
            (1,000 births, DESIGN.md §4) for a sex ratio at birth.

    Source: NCHS, *National Vital Statistics Reports*, technical notes
    ("rates based on fewer than 20 events are unreliable"); renkou DESIGN.md §4
    for the SRB threshold.

    Example:
        >>> bool(small_number_flag(32, MIN_BIRTHS_FOR_SRB)), bool(small_number_flag(25))
        (True, False)
    """
    c = np.asarray(count, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(c), False, c < threshold)[()]
