"""Charts for reports: matplotlib figures rendered off-screen to base64 PNG data URIs.

Every chart builds its own :class:`~matplotlib.figure.Figure` with an Agg canvas and never
touches ``pyplot``: pyplot keeps global state (the current figure, an interactive backend)
that a server rendering reports from several threads must not share. The functions take
plain values (times, floats, names), so they know nothing of accounts or decisions.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# matplotlib is imported where a chart is drawn: importing the reports (or the command line)
# must not pay for it.

_SIZE = (9.0, 3.6)  # inches: wide enough for a time axis, short enough to scroll past
_DPI = 100
_SINGLE_PAD = dt.timedelta(minutes=30)  # room either side when every point shares one time
_MARKERS = ("o", "s", "^", "D", "v", "P", "*", "X")
_DASHES = ("-", "--", "-.", ":")
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


@dataclass(frozen=True)
class DecisionPoint:
    """One decision as the decisions chart draws it."""

    at: dt.datetime
    value: float  # lots (or risk) on the y axis
    approved: bool
    binding: str  # the constraint that bound the size, or a label saying none did


def data_uri(figure: Figure) -> str:
    """The figure as a ``data:image/png;base64,…`` URI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    canvas.print_png(buffer)  # type: ignore[no-untyped-call]  # backend_agg has no annotations
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    return figure, figure.add_subplot()


def _x(times: Sequence[dt.datetime]) -> ArrayLike:
    # Times become matplotlib's day numbers here rather than through its unit converters,
    # which are registered only by importing matplotlib.dates (a lazy import may come late).
    from matplotlib.dates import date2num

    return cast("ArrayLike", date2num(list(times)))  # type: ignore[no-untyped-call]


def _x_limit(time: dt.datetime) -> float:
    """An axis limit at ``time``, as matplotlib's day number."""
    from matplotlib.dates import date2num

    return float(date2num(time))  # type: ignore[no-untyped-call]


def _time_axis(axes: Axes, times: Sequence[dt.datetime]) -> None:
    # Concise labels keep day and hour readable whether the range is minutes or months.
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib.dates is unannotated
    axes.xaxis.set_major_locator(locator)
    formatter = ConciseDateFormatter(locator, tz=dt.UTC)  # type: ignore[no-untyped-call]  # same
    axes.xaxis.set_major_formatter(formatter)
    if times and min(times) == max(times):
        # A single instant gives a zero-width axis; widen it instead of letting it collapse.
        axes.set_xlim(_x_limit(min(times) - _SINGLE_PAD), _x_limit(max(times) + _SINGLE_PAD))
    axes.grid(True, alpha=0.3)


def _floats(values: Sequence[float | None]) -> npt.NDArray[np.float64]:
    # None becomes NaN so matplotlib leaves a gap instead of failing.
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def equity_chart(
    times: Sequence[dt.datetime],
    equity: Sequence[float],
    balance: Sequence[float],
    daily_floor: Sequence[float | None],
    max_loss_floor: Sequence[float | None],
    currency: str,
) -> str:
    """Equity and balance over time with the daily and maximum-loss floors as step lines."""
    from matplotlib.ticker import FuncFormatter

    figure, axes = _figure()
    axes.plot(_x(times), _floats(equity), marker="o", markersize=3, label="equity")
    axes.plot(_x(times), _floats(balance), marker=".", linestyle="--", label="balance")
    # A floor holds from the state it was judged at until the next one: a step, not a slope.
    for values, label, colour in (
        (daily_floor, "daily-loss floor", "#d62728"),
        (max_loss_floor, "max-loss floor", "#7f0000"),
    ):
        if any(v is not None for v in values):
            axes.step(_x(times), _floats(values), where="post", color=colour, label=label)
    axes.set_title("Equity against the floors")
    axes.set_ylabel(currency)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    _time_axis(axes, times)
    axes.legend(loc="best", fontsize="small")
    return data_uri(figure)


def _binding_colours(points: Sequence[DecisionPoint]) -> dict[str, str]:
    names = sorted({p.binding for p in points})
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(names)}


def decisions_chart(points: Sequence[DecisionPoint], ylabel: str) -> str:
    """A point per decision: filled circles approved, crosses rejected, coloured by binding."""
    from matplotlib.lines import Line2D

    figure, axes = _figure()
    colours = _binding_colours(points)
    for approved, marker in ((True, "o"), (False, "X")):
        chosen = [p for p in points if p.approved is approved]
        if chosen:
            axes.scatter(
                _x([p.at for p in chosen]),
                [p.value for p in chosen],
                c=[colours[p.binding] for p in chosen],
                marker=marker,
                s=40,
                edgecolors="black",
                linewidths=0.4,
            )
    # Proxy artists: one legend entry per binding colour and one per status marker.
    handles = [
        Line2D([], [], marker="s", linestyle="", color=colour, label=name)
        for name, colour in colours.items()
    ]
    handles += [
        Line2D([], [], marker="o", linestyle="", color="grey", label="approved"),
        Line2D([], [], marker="X", linestyle="", color="grey", label="rejected"),
    ]
    axes.legend(handles=handles, loc="best", fontsize="small", title="binding / status")
    axes.set_title("Decisions over time")
    axes.set_ylabel(ylabel)
    _time_axis(axes, [p.at for p in points])
    return data_uri(figure)


def factors_chart(
    times: Sequence[dt.datetime], factors: Mapping[str, Sequence[float | None]]
) -> str:
    """One line per sizing factor across the decision times (gaps where a factor was absent)."""
    figure, axes = _figure()
    # Factors often sit on the same value (×1); distinct markers and dashes keep each visible.
    for index, (name, values) in enumerate(factors.items()):
        axes.plot(
            _x(times),
            _floats(values),
            marker=_MARKERS[index % len(_MARKERS)],
            linestyle=_DASHES[index % len(_DASHES)],
            markersize=5,
            alpha=0.85,
            label=name,
        )
    axes.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")  # ×1: the size left as is
    axes.set_title("Sizing factors over time")
    axes.set_ylabel("multiplier")
    _time_axis(axes, times)
    axes.legend(loc="best", fontsize="small")
    return data_uri(figure)


def correlation_chart(symbols: Sequence[str], matrix: npt.NDArray[np.float64], version: int) -> str:
    """A heat map of a correlation matrix, each cell labelled (``n/a`` where undefined)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    size = max(3.0, 1.0 + 0.8 * len(symbols))
    figure = Figure(figsize=(size + 1.5, size), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    masked = np.ma.masked_invalid(np.asarray(matrix, dtype=np.float64))
    # Undefined pairs in grey, apart from the colour scale.
    cmap = colormaps["RdBu_r"].with_extremes(bad="#dddddd")
    image = axes.imshow(masked, cmap=cmap, vmin=-1.0, vmax=1.0)
    axes.set_xticks(range(len(symbols)), labels=list(symbols), rotation=45, ha="right")
    axes.set_yticks(range(len(symbols)), labels=list(symbols))
    for (row, column), value in np.ndenumerate(np.asarray(matrix, dtype=np.float64)):
        text = "n/a" if math.isnan(value) else f"{value:.2f}"
        # White on the dark ends of the scale, black elsewhere, so every label reads.
        colour = "white" if not math.isnan(value) and abs(value) > 0.6 else "black"
        axes.text(column, row, text, ha="center", va="center", fontsize="small", color=colour)
    figure.colorbar(image, ax=axes, shrink=0.8)
    axes.set_title(f"Correlation heat map (version {version})")
    return data_uri(figure)


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes (for a file)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)  # type: ignore[no-untyped-call]  # as in data_uri
    return buffer.getvalue()


def simulation_chart(
    plans: Sequence[str],
    policies: Sequence[str],
    breached: Mapping[str, Mapping[str, int]],
    passed: Mapping[str, Mapping[str, int]],
    accounts: int,
) -> Figure:
    """Per firm plan, a bar per policy: accounts breached (solid) and passed (hatched)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(6.0, 1.8 * len(plans)), 6.0), dpi=_DPI, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    width = 0.8 / max(len(policies), 1)
    centres = np.arange(len(plans), dtype=np.float64)
    for index, policy in enumerate(policies):
        offsets = centres - 0.4 + width * (index + 0.5)
        colour = _PALETTE[index % len(_PALETTE)]
        top.bar(
            offsets,
            [breached.get(policy, {}).get(plan, 0) for plan in plans],
            width,
            label=policy,
            color=colour,
        )
        bottom.bar(
            offsets,
            [passed.get(policy, {}).get(plan, 0) for plan in plans],
            width,
            color=colour,
            hatch="//",
            edgecolor="white",
        )
    top.set_title(f"Accounts breached (of {accounts} per plan)")
    bottom.set_title("Accounts that reached the profit target")
    for axes in (top, bottom):
        axes.set_ylim(0, accounts)
        axes.grid(True, axis="y", alpha=0.3)
    bottom.set_xticks(centres, list(plans), rotation=15)
    top.legend(loc="upper left", fontsize="small", ncols=min(len(policies), 4))
    return figure
