"""How one figure is shown: never "−0.00"; a change computed from the figures as shown."""

from renkou.analytics.figures import Cell, change_cell


def test_minus_zero_never_shows():
    assert Cell(value=-0.001, unit="‰").display == "0.00"
    assert Cell(value=-0.0, unit="persons").display == "0"
    assert change_cell(Cell(value=12.344, unit="‰"), Cell(value=12.336, unit="‰")).display == "0.00"


def test_a_change_is_computed_from_the_displayed_rounded_figures():
    # shown 12.35 and 12.34: the change shown is +0.01, not +0.00 from 12.346 − 12.344
    now, before = Cell(value=12.346, unit="‰"), Cell(value=12.344, unit="‰")
    assert (now.display, before.display) == ("12.35", "12.34")
    assert change_cell(now, before).display == "+0.01"


def test_a_change_of_a_partial_period_is_partial():
    now = Cell(value=3.0, unit="persons", flag="incomplete")
    assert change_cell(now, Cell(value=2.0, unit="persons")).incomplete
