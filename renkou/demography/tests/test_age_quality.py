"""Age-reporting quality: a published worked example (PAS AGESEX) and properties / hand counts.

Whipple, Myers and Bachi are tested by properties and by a small population whose index can be worked
out by hand (shown in the comments). No published single-age worked example is reproduced here: the
PAS SINGAGE male population (DemoTools' pop1m_pasex, Whipple 2.34 on the ratio scale) was not
available in a form that could be checked, and no figure is written down from memory.
"""

import numpy as np
import pytest

from renkou.demography import bachi, myers, un_age_sex_accuracy, whipple

AGES = np.arange(0, 100)
UNIFORM = np.full(100, 1000.0)
LINEAR = 1000.0 - 8.0 * AGES  # numbers falling linearly with age


# ---------------------------------------------------------------- UN age-sex accuracy (published)

# PUBLISHED: US Census Bureau, Population Analysis System (PAS), spreadsheet AGESEX, its example
# population (5-year groups 0-4 ... 70-74 and 75+). The sheet's results, as transcribed in the test
# suite of the DemoTools R package (tests/testthat/test-AGESEX.R, "data from PAS spreadsheet
# AGESEX.xlsx"): male age-ratio score 3.907, female 3.655, sex-ratio score 2.249, joint score 14.308.
# Tolerance 5e-4 (three printed decimals).
PAS_MALES = [4677000, 4135000, 3825000, 3647000, 3247000, 2802000, 2409000, 2212000, 1786000,
             1505000, 1390000, 984000, 745000, 537000, 346000, 335000]  # fmt: skip
PAS_FEMALES = [4544000, 4042000, 3735000, 3647000, 3309000, 2793000, 2353000, 2112000, 1691000,
               1409000, 1241000, 887000, 697000, 525000, 348000, 366000]  # fmt: skip
PAS_AGES = list(range(0, 80, 5))


def test_un_age_sex_accuracy_reproduces_pas_agesex():
    r = un_age_sex_accuracy(PAS_MALES, PAS_FEMALES, PAS_AGES)
    assert r.male_age_ratio_score == pytest.approx(3.907, abs=5e-4)
    assert r.female_age_ratio_score == pytest.approx(3.655, abs=5e-4)
    assert r.sex_ratio_score == pytest.approx(2.249, abs=5e-4)
    assert r.joint_score == pytest.approx(14.308, abs=5e-4)
    # the structure of the method: 13 age ratios (5-9 ... 65-69), 15 sex ratios (0-4 ... 70-74)
    assert np.isfinite(r.male_age_ratios).sum() == 13
    assert r.sex_ratios.size == 15
    assert r.joint_score == pytest.approx(
        r.male_age_ratio_score + r.female_age_ratio_score + 3 * r.sex_ratio_score
    )


def test_un_age_sex_accuracy_properties():
    # PROPERTY: equal-sized groups and a constant sex ratio score 0 on every part
    r = un_age_sex_accuracy([100.0] * 16, [95.0] * 16, PAS_AGES)
    assert r.joint_score == 0.0
    # the open group (and anything past 70-74) does not enter: changing it changes nothing
    males = list(PAS_MALES)
    males[-1] *= 3
    assert un_age_sex_accuracy(males, PAS_FEMALES, PAS_AGES).joint_score == pytest.approx(
        un_age_sex_accuracy(PAS_MALES, PAS_FEMALES, PAS_AGES).joint_score
    )
    with pytest.raises(ValueError):
        un_age_sex_accuracy(PAS_MALES[:10], PAS_FEMALES[:10], PAS_AGES[:10])


# ---------------------------------------------------------------- Whipple (properties, hand count)


def test_whipple_scale():
    # PROPERTIES: 100 = no preference (uniform, and also any linear age distribution);
    # 500 = everyone on ages ending in 0 or 5; 0 = nobody on them
    assert whipple(UNIFORM, AGES) == pytest.approx(100.0)
    assert whipple(LINEAR, AGES) == pytest.approx(100.0)
    assert whipple(np.where(AGES % 5 == 0, 1000.0, 0.0), AGES) == pytest.approx(500.0)
    assert whipple(np.where(AGES % 5 == 0, 0.0, 1000.0), AGES) == 0.0
    # single digit 0: scale 0-1000
    assert whipple(np.where(AGES % 10 == 0, 1000.0, 0.0), AGES, digits=(0,)) == pytest.approx(1000.0)


def test_whipple_hand_count():
    # HAND COUNT: 100 at every age, plus 100 more at ages ending in 0. Ages 23-62: 40 ages,
    # 4 ending in 0 (200 each), 4 ending in 5 (100 each): 5 x 100 x 1200 / 4400 = 136.36
    counts = np.where(AGES % 10 == 0, 200.0, 100.0)
    assert whipple(counts, AGES) == pytest.approx(500 * 1200 / 4400)
    # only ages 23-62 are used, in any order, and all of them are needed
    order = np.random.default_rng(0).permutation(100)
    assert whipple(counts[order], AGES[order]) == pytest.approx(500 * 1200 / 4400)
    with pytest.raises(ValueError):
        whipple(counts[:50], AGES[:50])
    with pytest.raises(ValueError):
        whipple(counts, AGES, age_min=23, age_max=60)  # not whole decades


# ---------------------------------------------------------------- Myers (properties, hand count)


def test_myers_scale():
    # PROPERTIES: 0 for uniform and for linear single-age counts (the point of blending);
    # 90 when every age ends in the same digit; 80 when all ages end in 0 or 5
    assert myers(UNIFORM, AGES) == pytest.approx(0.0, abs=1e-12)
    assert myers(LINEAR, AGES) == pytest.approx(0.0, abs=1e-12)
    assert myers(LINEAR, AGES, age_min=23, age_max=83) == pytest.approx(0.0, abs=1e-12)
    assert myers(np.where(AGES % 10 == 7, 50.0, 0.0), AGES) == pytest.approx(90.0)
    assert myers(np.where(AGES % 5 == 0, 50.0, 0.0), AGES) == pytest.approx(80.0)


def test_myers_hand_count():
    # HAND COUNT: 100 at every age, 200 at ages ending in 0. Series 1 (ages 10-79) and series 2
    # (20-89) each hold 7 ages per digit: 700 per digit, 1400 for digit 0. Blended: 10 x 700 = 7000
    # for digits 1-9 and (1 + 9) x 1400 = 14000 for 0; total 77000. Shares 18.18 % and 9.09 %:
    # Myers = 1/2 (8.18 + 9 x 0.909) = 90/11 = 8.18
    counts = np.where(AGES % 10 == 0, 200.0, 100.0)
    assert myers(counts, AGES) == pytest.approx(90 / 11)


# ---------------------------------------------------------------- Bachi (properties, hand count)


def test_bachi_scale_and_hand_count():
    # PROPERTIES: 0 for uniform and linear populations, 90 when every age ends in one digit
    assert bachi(UNIFORM, AGES) == pytest.approx(0.0, abs=1e-12)
    assert bachi(LINEAR, AGES) == pytest.approx(0.0, abs=1e-12)
    assert bachi(np.where(AGES % 10 == 3, 50.0, 0.0), AGES) == pytest.approx(90.0)
    # HAND COUNT: 100 at every age, 200 at ages ending in 0. Digit 0: windows 25-74 and 26-75,
    # each 50 ages with five 0-ages: share = (1000 + 1000) / (5500 + 5500) = 2/11. Other digits:
    # 500 / 5500 = 1/11. Bachi = 100 x 1/2 (|2/11 - 0.1| + 9 |1/11 - 0.1|) = 90/11
    counts = np.where(AGES % 10 == 0, 200.0, 100.0)
    assert bachi(counts, AGES) == pytest.approx(90 / 11)


def test_heaping_indices_agree_in_direction():
    # PROPERTY: more heaping on 0 and 5 raises all three indices
    rng = np.random.default_rng(4)
    base = 1000.0 - 8.0 * AGES + rng.normal(0, 5, 100)
    heaped = base + np.where(AGES % 5 == 0, 150.0, 0.0)
    assert whipple(heaped, AGES) > whipple(base, AGES)
    assert myers(heaped, AGES) > myers(base, AGES)
    assert bachi(heaped, AGES) > bachi(base, AGES)
