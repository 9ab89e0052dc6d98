"""Date axes of the report's charts read right over two days, a month and two years."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import num2date

from aria.reports import charts

START = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _labels(span: dt.timedelta, points: int = 60) -> list[tuple[dt.datetime, str]]:
    """The x tick labels of an equity chart over ``span``, with the instant of each tick."""
    times = [START + span * i / (points - 1) for i in range(points)]
    figure = charts.equity_figure(
        times,
        [100_000.0 + i for i in range(points)],
        [100_000.0] * points,
        [95_000.0] * points,
        [90_000.0] * points,
        "USD",
    )
    FigureCanvasAgg(figure).draw()  # tick labels are set when the figure is drawn
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    ticks = [
        (num2date(tick.get_loc(), tz=dt.UTC), tick.label1.get_text())
        for tick in axes.xaxis.get_major_ticks()
        if low <= tick.get_loc() <= high
    ]
    return ticks


@pytest.mark.parametrize(
    ("span", "unit_formats"),
    [
        # Two days: hours, each named with its weekday; midnight names the date.
        (dt.timedelta(days=2), ("%a %H:%M", "%a %d %b")),
        # A month: days with their month; the first of a month is the month's name.
        (dt.timedelta(days=30), ("%b %d", "%b")),
        # Two years: quarters with their year; January is the year.
        (dt.timedelta(days=730), ("%b '%y", "%Y")),
    ],
    ids=["two-days", "a-month", "two-years"],
)
def test_tick_labels_are_distinct_ordered_and_in_the_span_s_unit(
    span: dt.timedelta, unit_formats: tuple[str, str]
) -> None:
    ticks = _labels(span)
    labels = [label for _, label in ticks]
    assert 3 <= len(ticks) <= 10, labels
    assert all(labels), labels
    assert len(set(labels)) == len(labels), f"repeated labels: {labels}"
    instants = [at for at, _ in ticks]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)
    # Each label is its own tick's instant in the span's unit: the labels read in time order.
    for at, label in ticks:
        assert label in {at.strftime(fmt) for fmt in unit_formats}, (at, label)
    # The ticks spread over the data (the axis pads it by a margin either side).
    assert instants[0] <= START + span / 4
    assert instants[-1] >= START + span * 3 / 4


def test_two_years_are_marked_by_quarters() -> None:
    ticks = _labels(dt.timedelta(days=730))
    months = [at.month for at, _ in ticks]
    assert all(month in (1, 4, 7, 10) for month in months), months
    assert len({at.year for at, _ in ticks}) == 3


def test_the_report_modules_import_without_matplotlib() -> None:
    """The CLI imports the report modules; matplotlib loads only when a chart is drawn."""
    code = (
        "import sys, aria.reports.charts, aria.reports.compliance, aria.reports.portfolio;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


@settings(max_examples=30, deadline=None)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    seconds=st.integers(min_value=2 * 3600, max_value=6 * 366 * 86400),
)
def test_any_span_from_two_hours_to_six_years_has_distinct_ordered_labels(
    start: dt.datetime, seconds: int
) -> None:
    span = dt.timedelta(seconds=seconds)
    times = [start + span * i / 9 for i in range(10)]
    figure = charts.equity_figure(times, [1.0] * 10, [1.0] * 10, [None] * 10, [None] * 10, "USD")
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    ticks = [t for t in axes.xaxis.get_major_ticks() if low <= t.get_loc() <= high]
    labels = [t.label1.get_text() for t in ticks]
    assert len(ticks) >= 2, labels
    assert all(labels), labels
    assert len(set(labels)) == len(labels), labels
    locations = [t.get_loc() for t in ticks]
    assert locations == sorted(locations)
