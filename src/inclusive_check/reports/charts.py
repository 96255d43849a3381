"""Inline SVG charts for the HTML report: no script, no font or file fetched, readable when printed.

Each function returns one ``<svg>`` element as markup. Labels inside a chart are language-neutral
(insurer codes, item numbers, values); titles and legends live in the HTML around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

SEVERITY_COLOURS = {"error": "#c62828", "warning": "#ef8f00", "info": "#1e6fd9"}
DIMENSION_COLOURS = {"variety": "#5b3cc4", "coverage": "#00897b", "protection": "#1e6fd9", "service": "#d81b60"}
FONT = "font-family=\"system-ui, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif\""


@dataclass(frozen=True)
class Bar:
    """One bar: its value (None: not scored, shown as ``missing`` text) and the band it is coloured by, as the
    run's scoring stored it (good, fair, poor or none)."""

    label: str
    value: Decimal | None
    href: str = ""
    blocking: bool = False
    band: str = "none"
    missing: str = "—"


BAND_COLOURS = {"good": "#2e7d32", "fair": "#ef8f00", "poor": "#c62828", "none": "#9e9e9e"}


def _label(text: str, href: str, x: float, y: float, anchor: str = "end") -> str:
    label = f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="label">{escape(text)}</text>'
    return f'<a href="{escape(href)}">{label}</a>' if href else label


def _frame(
    element_id: str,
    title: str,
    width: int,
    height: int,
    label_w: int,
    plot_w: int,
    top: int,
    bottom: int,
    tick_text: Callable[[int], str],
) -> list[str]:
    """The opening of a horizontal-bar chart: the svg element, its title and a 0/25/50/75/100 grid."""
    parts = [
        f'<svg id="{element_id}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(0, 101, 25):
        x = label_w + plot_w * tick / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" class="tick">{tick_text(tick)}</text>')
    return parts


def score_bars(
    element_id: str, title: str, bars: Sequence[Bar], maximum: Decimal = Decimal(100), blocking_mark: str = "blocking"
) -> Markup:
    """Horizontal bars on a 0..maximum scale, coloured by each bar's band; a blocking document is marked."""
    label_w, plot_w, row_h, top = 190, 560, 26, 26
    height = top + row_h * max(len(bars), 1) + 10
    width = label_w + plot_w + 170
    parts = _frame(
        element_id, title, width, height, label_w, plot_w, top, height - 10, lambda tick: f"{maximum * tick / 100:g}"
    )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        parts.append(_label(bar.label, bar.href, label_w - 8, y + 16))
        colour = BAND_COLOURS.get(bar.band, BAND_COLOURS["none"])
        if bar.value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 16}" class="value missing">{escape(bar.missing)}</text>')
            if bar.blocking:
                parts.append(f'<text x="{label_w + 120}" y="{y + 16}" class="blocking">{escape(blocking_mark)}</text>')
            continue
        w = plot_w * float(min(max(bar.value, Decimal(0)), maximum) / maximum)
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="3" '
            f'fill="{colour}" class="bar"><title>{escape(bar.label)}: {bar.value}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" class="value">{bar.value}</text>')
        if bar.blocking:
            parts.append(
                f'<text x="{label_w + w + 52:.1f}" y="{y + 16}" class="blocking">{escape(blocking_mark)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(
    element_id: str,
    title: str,
    columns: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[str] = ("error", "warning", "info"),
) -> Markup:
    """Vertical columns (one per guidance item) stacked by severity; counts on top."""
    left, top, plot_h, width = 40, 18, 220, 860
    slot = (width - left - 10) / max(len(columns), 1)
    col_w = min(56.0, slot * 0.7)
    gap = slot - col_w
    height = top + plot_h + 36
    highest = max([sum(counts.values()) for _, counts in columns] + [1])
    step = max(1, -(-highest // 5))
    scale_max = step * -(-highest // step)
    parts = [
        f'<svg id="{element_id}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(0, scale_max + 1, step):
        y = top + plot_h - plot_h * tick / scale_max
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 6}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}</text>')
    for i, (label, counts) in enumerate(columns):
        x = left + gap / 2 + i * (col_w + gap)
        y = top + plot_h
        for name in series:
            n = counts.get(name, 0)
            if not n:
                continue
            h = plot_h * n / scale_max
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
                f'fill="{SEVERITY_COLOURS[name]}" '
                f'class="bar {name}"><title>{escape(label)}: {n} {name}</title></rect>'
            )
        total = sum(counts.values())
        parts.append(f'<text x="{x + col_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{total}</text>')
        parts.append(
            f'<text x="{x + col_w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
            f'class="label">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bars(
    element_id: str,
    title: str,
    rows: Sequence[tuple[str, str, dict[str, Decimal | None]]],
    dimensions: Sequence[str] = ("variety", "coverage", "protection", "service"),
) -> Markup:
    """One row per insurer with a thin 0..100 bar per dimension; rows are (label, href, values)."""
    label_w, plot_w, bar_h, top = 190, 560, 9, 26
    row_h = bar_h * len(dimensions) + 12
    height = top + row_h * max(len(rows), 1) + 6
    width = label_w + plot_w + 60
    parts = _frame(element_id, title, width, height, label_w, plot_w, top, height - 6, str)
    for i, (label, href, values) in enumerate(rows):
        y0 = top + i * row_h
        parts.append(_label(label, href, label_w - 8, y0 + row_h / 2 + 2))
        for j, name in enumerate(dimensions):
            value = values.get(name)
            y = y0 + 4 + j * bar_h
            if value is None:
                continue
            w = plot_w * float(min(max(value, Decimal(0)), Decimal(100)) / 100)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{DIMENSION_COLOURS[name]}" class="bar {name}">'
                f"<title>{escape(label)} {name}: {value}</title></rect>"
            )
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 2}" class="value small">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_lines(
    element_id: str,
    title: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal | None]]],
) -> Markup:
    """Lines over the periods (oldest left) on a 0..100 scale, one per series (name, colour, values per period); a
    missing value breaks its line. Each point carries its value as a tooltip and a label."""
    left, top, plot_w, plot_h = 44, 18, 640, 220
    width, height = left + plot_w + 150, top + plot_h + 40
    parts = [
        f'<svg id="{element_id}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(0, 101, 25):
        y = top + plot_h - plot_h * tick / 100
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}</text>')
    step = plot_w / max(len(periods) - 1, 1)

    def x_of(i: int) -> float:
        return left + (i * step if len(periods) > 1 else plot_w / 2)

    for i, period in enumerate(periods):
        y = top + plot_h + 18
        parts.append(f'<text x="{x_of(i):.1f}" y="{y}" text-anchor="middle" class="label">{escape(period)}</text>')
    for n, (name, colour, values) in enumerate(series):
        points: list[tuple[float, float, Decimal]] = []
        runs: list[list[tuple[float, float, Decimal]]] = [points]
        for i, value in enumerate(values):
            if value is None:
                points = []
                runs.append(points)
                continue
            y = top + plot_h - plot_h * float(min(max(value, Decimal(0)), Decimal(100)) / 100)
            points.append((x_of(i), y, value))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2" class="line"/>')
            for x, y, value in run:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}" class="point">'
                    f"<title>{escape(name)}: {value}</title></circle>"
                )
        legend_y = top + 14 + n * 18
        parts.append(
            f'<rect x="{left + plot_w + 16}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + plot_w + 32}" y="{legend_y}" class="label">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
