"""Abridged period life table from age-specific death rates.

Rules used (Preston, Heuveline & Guillot 2001, ch. 3, Table 3.3 and Box 3.1):

* Age groups: 0, 1–4, 5–9, …, and an open last interval (the usual abridged
  table), or any other contiguous groups; the last group is always open.
* Conversion of rates to probabilities::

      nqx = n · nmx / (1 + (n − nax) · nmx)

  capped at 1; the open interval has q = 1.
* Separation factors nax (average person-years lived in the interval by
  those who die in it):

  - a0 and 4a1 by the Coale–Demeny West formulas in terms of 1m0, as given
    in Preston, Heuveline & Guillot (2001), Table 3.3 (adapted from Coale and
    Demeny 1983, the rule also used by the UN)::

                       1m0 ≥ 0.107        1m0 < 0.107
        males    a0    0.330              0.045 + 2.684 · 1m0
                 4a1   1.352              1.651 − 2.816 · 1m0
        females  a0    0.350              0.053 + 2.800 · 1m0
                 4a1   1.361              1.522 − 1.518 · 1m0

    (a0 applies when the table starts with the groups 0 and 1; 4a1 when the
    second group is 1–4);
  - n/2 for every other closed age group;
  - 1/m for the open interval, so that ``L(open) = l / m(open)``.

  (Andreev & Kingkade 2015 give a more recent a0 rule; it is not used here.)
  Any of these can be replaced by passing ``ax``.
* Then::

      lx(next) = lx · (1 − nqx),   ndx = lx · nqx,
      nLx = n · lx(next) + nax · ndx    (open interval: lx / mx),
      Tx = Σ_{y ≥ x} nLy,   ex = Tx / lx.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LifeTable", "coale_demeny_a0_4a1", "life_table"]


@dataclass(frozen=True)
class LifeTable:
    """Columns of an abridged life table; all arrays have one entry per age group.

    Attributes:
        age_starts: exact age x at the start of each group, years.
        n: width of each group, years (``inf`` for the open interval).
        mx: age-specific death rates nmx, deaths per person-year.
        ax: separation factors nax, years.
        nqx: probability of dying between x and x+n.
        lx: survivors at exact age x, out of the radix.
        ndx: deaths between x and x+n in the table population.
        nLx: person-years lived between x and x+n.
        Tx: person-years lived above age x.
        ex: life expectancy at age x, years.
    """

    age_starts: np.ndarray
    n: np.ndarray
    mx: np.ndarray
    ax: np.ndarray
    nqx: np.ndarray
    lx: np.ndarray
    ndx: np.ndarray
    nLx: np.ndarray
    Tx: np.ndarray
    ex: np.ndarray

    @property
    def e0(self) -> float:
        """Life expectancy at the first age of the table (at birth when it starts at 0), years."""
        return float(self.ex[0])

    def as_dict(self) -> dict[str, np.ndarray | float]:
        """The columns as a plain dict (plus ``e0``), e.g. for a DataFrame or JSON."""
        out: dict[str, np.ndarray | float] = {
            name: getattr(self, name)
            for name in ("age_starts", "n", "mx", "ax", "nqx", "lx", "ndx", "nLx", "Tx", "ex")
        }
        out["e0"] = self.e0
        return out


def coale_demeny_a0_4a1(m0: float, sex: str) -> tuple[float, float]:
    """Coale–Demeny West separation factors a0 and 4a1 from the infant death rate 1m0.

    Formula (Preston, Heuveline & Guillot 2001, Table 3.3)::

        males:   a0 = 0.045 + 2.684·m0,  4a1 = 1.651 − 2.816·m0   (m0 < 0.107)
                 a0 = 0.330,             4a1 = 1.352              (m0 ≥ 0.107)
        females: a0 = 0.053 + 2.800·m0,  4a1 = 1.522 − 1.518·m0   (m0 < 0.107)
                 a0 = 0.350,             4a1 = 1.361              (m0 ≥ 0.107)

    Arguments:
        m0: infant death rate 1m0, deaths under 1 per person-year lived under 1.
        sex: ``"m"`` or ``"f"``.

    Returns ``(a0, 4a1)`` in years; ``NaN`` if m0 is ``NaN``.

    Source: Preston, Heuveline & Guillot (2001), *Demography*, ch. 3, Table 3.3,
    adapted from Coale, A. J. and Demeny, P. (1983) *Regional Model Life Tables
    and Stable Populations*, 2nd ed.

    Example (Austria, males 1992: 419 infant deaths, 47,925 person-years)::

        >>> a0, a1 = coale_demeny_a0_4a1(419 / 47925, "m")
        >>> round(a0, 3), round(a1, 3)
        (0.068, 1.626)
    """
    sex = _sex(sex)
    if np.isnan(m0):
        return float("nan"), float("nan")
    if sex == "m":
        return (0.330, 1.352) if m0 >= 0.107 else (0.045 + 2.684 * m0, 1.651 - 2.816 * m0)
    return (0.350, 1.361) if m0 >= 0.107 else (0.053 + 2.800 * m0, 1.522 - 1.518 * m0)


def _sex(sex: str) -> str:
    s = str(sex).lower()[:1]
    if s not in ("m", "f"):
        raise ValueError('sex must be "m" or "f"')
    return s


def life_table(mx, age_starts, sex="m", radix=100_000, ax=None) -> LifeTable:
    """Abridged period life table from age-specific death rates nmx.

    Formulas (see the module docstring for the full set of rules)::

        nqx = n·nmx / (1 + (n − nax)·nmx),   q(open) = 1
        l(x+n) = lx·(1 − nqx),   ndx = lx·nqx
        nLx = n·l(x+n) + nax·ndx,   L(open) = l(open) / m(open)
        Tx = Σ nLy (y ≥ x),   ex = Tx / lx

    nax: a0 and 4a1 from Coale–Demeny West (Preston et al. 2001, Table 3.3),
    n/2 for other closed groups, 1/m for the open group — unless ``ax`` is
    given.

    Arguments:
        mx: death rates nmx for each age group, deaths per person-year
            (deaths / mid-period population for a one-year period). A ``NaN``
            (missing) rate is never read as zero: it makes lx and ndx above
            that age, and Tx, ex (so e0) at and below it, ``NaN``.
        age_starts: exact age at the start of each group, years, increasing,
            e.g. ``[0, 1, 5, 10, …, 85]``; the last group is open.
        sex: ``"m"`` or ``"f"``, selects the a0 and 4a1 formulas.
        radix: l0, the size of the table's birth cohort (default 100,000).
        ax: optional separation factors in years, one per group, replacing the
            rules above (e.g. values observed in the data). The open-interval
            value is ignored (L(open) = l/m always).

    Returns a :class:`LifeTable` with the columns nqx, lx, ndx, nLx, Tx, ex and
    ``e0``.

    Raises ``ValueError`` if the open-interval rate is zero or negative (its
    person-years would be infinite) or the ages are not increasing.

    Source: Preston, S. H., Heuveline, P. and Guillot, M. (2001) *Demography:
    Measuring and Modeling Population Processes*, Blackwell, ch. 3 (
    Box 3.1: Austria, males, 1992, e0 = T0/l0 = 72.89 from the printed nLx; Table 3.3 for a0 and 4a1).

    Example:
        >>> lt = life_table([0.01, 0.002, 0.001, 0.2], [0, 1, 5, 10], sex="f")
        >>> round(lt.e0, 2)
        14.72
    """
    m = np.asarray(mx, dtype=float)
    x = np.asarray(age_starts, dtype=float)
    if m.ndim != 1 or m.shape != x.shape or m.size < 2:
        raise ValueError("mx and age_starts must be 1-d arrays of the same length (at least 2 groups)")
    if np.any(np.diff(x) <= 0):
        raise ValueError("age_starts must be increasing")
    sex = _sex(sex)
    k = m.size
    n = np.append(np.diff(x), np.inf)
    closed = slice(0, k - 1)

    if ax is None:
        a = n / 2.0
        if x[0] == 0 and x[1] == 1:
            a0, a1 = coale_demeny_a0_4a1(m[0], sex)
            a[0] = a0
            if k > 2 and x[2] == 5:
                a[1] = a1
    else:
        a = np.asarray(ax, dtype=float).copy()
        if a.shape != m.shape:
            raise ValueError("ax must have one value per age group")
    if not np.isnan(m[-1]) and m[-1] <= 0:
        raise ValueError("the open-interval death rate must be positive")
    with np.errstate(divide="ignore", invalid="ignore"):
        a[-1] = 1.0 / m[-1]

    q = np.empty(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        q[closed] = n[closed] * m[closed] / (1.0 + (n[closed] - a[closed]) * m[closed])
    q[closed] = np.where(np.isnan(q[closed]), np.nan, np.clip(q[closed], 0.0, 1.0))
    q[-1] = np.nan if np.isnan(m[-1]) else 1.0

    lx = np.empty(k)
    lx[0] = float(radix)
    for i in range(1, k):
        lx[i] = lx[i - 1] * (1.0 - q[i - 1])
    dx = lx * q
    big_l = np.empty(k)
    big_l[closed] = n[closed] * lx[1:] + a[closed] * dx[closed]
    with np.errstate(divide="ignore", invalid="ignore"):
        big_l[-1] = lx[-1] / m[-1]
    tx = np.cumsum(big_l[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(lx > 0, tx / lx, np.nan)
    return LifeTable(age_starts=x, n=n, mx=m, ax=a, nqx=q, lx=lx, ndx=dx, nLx=big_l, Tx=tx, ex=ex)
