"""Life table: a published worked example (Preston, Heuveline & Guillot 2001, Box 3.1) and identities."""

import math

import numpy as np
import pytest

from renkou.demography import coale_demeny_a0_4a1, life_table

# PUBLISHED: Preston, Heuveline & Guillot (2001), Demography, ch. 3, Box 3.1: period life table for
# Austrian males, 1992 (data from the United Nations 1994). Input: mid-year population nNx and deaths
# nDx by age group (nmx = nDx / nNx) and the book's nax column. Printed output compared: lx and nLx
# (printed as whole numbers, radix 100,000; tolerance 1, i.e. rounding) and e0 = T0 / l0 where T0 is
# the sum of the printed nLx column (7,288,901, so e0 = 72.889; tolerance 0.001).
AGES = [0, 1] + list(range(5, 90, 5))
POP = [47925, 189127, 234793, 238790, 254996, 326831, 355086, 324222, 269963, 261971, 238011,
       261612, 181385, 187962, 153832, 105169, 73694, 57512, 32248]  # fmt: skip
DEATHS = [419, 70, 36, 46, 249, 420, 403, 441, 508, 769, 1154, 1866, 2043, 3496, 4366, 4337,
          5279, 6460, 6146]  # fmt: skip
BOOK_AX = [0.068, 1.626, 2.5, 3.143, 2.724, 2.520, 2.481, 2.601, 2.701, 2.663, 2.698, 2.676,
           2.645, 2.624, 2.619, 2.593, 2.518, 2.423, 5.247]  # fmt: skip
BOOK_LX = [100000, 99133, 98986, 98910, 98815, 98334, 97704, 97151, 96492, 95588, 94195, 91937,
           88711, 83845, 76377, 66225, 53803, 37441, 21134]  # fmt: skip
BOOK_NLX = [99192, 396183, 494741, 494375, 492980, 490106, 487127, 484175, 480384, 474686,
            465777, 452188, 432096, 401480, 357713, 301224, 228404, 145182, 110889]  # fmt: skip
BOOK_E0 = 72.889


def _mx():
    return np.array(DEATHS, dtype=float) / np.array(POP, dtype=float)


def test_reproduces_preston_box_3_1_with_the_books_ax():
    lt = life_table(_mx(), AGES, sex="m", ax=BOOK_AX)
    np.testing.assert_allclose(lt.lx, BOOK_LX, atol=1.0)
    np.testing.assert_allclose(lt.nLx, BOOK_NLX, atol=1.0)
    assert lt.e0 == pytest.approx(BOOK_E0, abs=0.001)
    # the open interval: L(85+) = l85 / m85
    assert lt.nLx[-1] == pytest.approx(lt.lx[-1] / _mx()[-1])


def test_coale_demeny_rule_gives_the_books_a0_and_4a1():
    # PUBLISHED: the Box 3.1 values a0 = 0.068 and 4a1 = 1.626 are those of Table 3.3's
    # Coale-Demeny West male formulas at 1m0 = 419 / 47,925 (tolerance: 3 printed decimals)
    a0, a1 = coale_demeny_a0_4a1(419 / 47925, "m")
    assert a0 == pytest.approx(0.068, abs=5e-4)
    assert a1 == pytest.approx(1.626, abs=5e-4)
    # PROPERTY: the formulas' constants above 1m0 = 0.107 (Table 3.3)
    assert coale_demeny_a0_4a1(0.2, "m") == (0.330, 1.352)
    assert coale_demeny_a0_4a1(0.2, "f") == (0.350, 1.361)
    assert coale_demeny_a0_4a1(0.01, "f") == pytest.approx((0.053 + 0.028, 1.522 - 0.01518))


def test_default_rules_stay_close_to_the_book():
    # PROPERTY (not a published figure): with the package's own rules (Coale-Demeny a0 and 4a1, n/2
    # elsewhere, instead of the book's observed nax) e0 moves by only a few hundredths of a year
    lt = life_table(_mx(), AGES, sex="m")
    assert lt.ax[0] == pytest.approx(0.0685, abs=1e-4)
    assert lt.ax[2] == 2.5 and lt.ax[10] == 2.5
    assert abs(lt.e0 - BOOK_E0) < 0.05


@pytest.mark.parametrize("sex", ["m", "f"])
def test_life_table_identities(sex):
    # PROPERTIES: sum of ndx is the radix; lx never increases; T0 / l0 = e0; Tx = sum of nLx above x;
    # nqx in [0, 1] with q(open) = 1; every ex positive
    lt = life_table(_mx(), AGES, sex=sex, radix=100_000)
    assert lt.ndx.sum() == pytest.approx(100_000)
    assert np.all(np.diff(lt.lx) <= 0)
    assert lt.Tx[0] / lt.lx[0] == pytest.approx(lt.e0)
    np.testing.assert_allclose(lt.Tx, np.cumsum(lt.nLx[::-1])[::-1])
    assert np.all((lt.nqx >= 0) & (lt.nqx <= 1)) and lt.nqx[-1] == 1.0
    assert np.all(lt.ex > 0)
    # nLx lies between n * l(x+n) and n * lx for the closed groups
    n = np.diff(AGES)
    assert np.all(lt.nLx[:-1] >= n * lt.lx[1:] - 1e-9) and np.all(lt.nLx[:-1] <= n * lt.lx[:-1] + 1e-9)
    d = lt.as_dict()
    assert d["e0"] == lt.e0 and set(d) >= {"nqx", "lx", "ndx", "nLx", "Tx", "ex"}


def test_constant_hazard_gives_e0_near_one_over_mu():
    # PROPERTY: with a constant death rate mu at all ages, the exact e0 is 1/mu; the abridged table
    # with linear (n/2) person-years is close (here within 0.1 %, the a0/4a1 rules add little)
    mu = 0.02
    ages = [0, 1] + list(range(5, 105, 5))
    lt = life_table([mu] * len(ages), ages, sex="f")
    assert lt.e0 == pytest.approx(1 / mu, rel=1e-3)


def test_missing_rate_is_not_read_as_zero():
    mx = _mx()
    mx[5] = np.nan
    lt = life_table(mx, AGES)
    assert math.isnan(lt.e0)
    assert np.isnan(lt.lx[6:]).all() and not np.isnan(lt.lx[:6]).any()


def test_input_checks():
    with pytest.raises(ValueError):
        life_table([0.01, 0.0], [0, 1])  # open-interval rate must be positive
    with pytest.raises(ValueError):
        life_table([0.01, 0.02], [0, 1], sex="x")
    with pytest.raises(ValueError):
        life_table([0.01, 0.02, 0.03], [0, 5, 1])
