"""HTML pieces the reports share: escaped text, machine-findable cells, tables, sections.

Each number a machine may want to check sits in a cell marked ``data-field="…"`` whose
``data-value`` holds the exact value (``str`` of the Decimal or count; empty when there is
none), while the cell's text may be rounded and grouped for people.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from decimal import Decimal

NONE = "—"
STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.rejected td, tr.forced td { background: #fff0f0; } p.empty { color: #666; font-style: italic; }
img { max-width: 100%; } .note { color: #666; font-size: 0.85em; }
progress { width: 10em; vertical-align: middle; } nav ul { columns: 2; }
tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #999; }
"""


def esc(value: object) -> str:
    """Escaped text of any value (every string that comes from data goes through here)."""
    return html.escape(str(value))


def when(at: dt.datetime | dt.date | None) -> str:
    """A time in UTC to the second (a date as ISO), or a dash."""
    if at is None:
        return NONE
    if isinstance(at, dt.datetime):
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return at.isoformat()


def money(value: Decimal | None) -> str:
    """An amount to the cent with thousands grouped, or a dash."""
    return NONE if value is None else f"{value:,.2f}"


def field(name: str, value: object, text: str | None = None, numeric: bool = True) -> str:
    """A machine-findable cell: ``data-value`` is ``str(value)`` exactly, the text is for people."""
    raw = "" if value is None else str(value)
    shown = text if text is not None else (raw or NONE)
    css = ' class="num"' if numeric else ""
    return f'<td data-field="{esc(name)}" data-value="{esc(raw)}"{css}>{esc(shown)}</td>'


def text_cell(value: object) -> str:
    """A plain cell of escaped text (a dash when empty)."""
    return f"<td>{esc(NONE if value is None or value == '' else value)}</td>"


def row(label: str, cell: str) -> str:
    """A labelled row of a key-value table."""
    return f'<tr><th scope="row">{esc(label)}</th>{cell}</tr>'


def key_values(rows: Iterable[str]) -> str:
    """A table of labelled rows."""
    return "<table>" + "".join(rows) + "</table>"


def grid(headers: Sequence[str], rows: Iterable[str]) -> str:
    """A table with a header row of column names."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def section(title: str, *parts: str, level: int = 2, anchor: str | None = None) -> str:
    """A section with its heading (``level`` 2 for the page's parts, 3 inside them)."""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{ident}><h{level}>{esc(title)}</h{level}>{''.join(parts)}</section>"


def empty(kind: str, sentence: str) -> str:
    """A sentence in place of a table or chart with nothing to show."""
    return f'<p class="empty" data-empty="{esc(kind)}">{esc(sentence)}</p>'


def image(alt: str, uri: str) -> str:
    """An inline image with its text alternative."""
    return f'<figure><img alt="{esc(alt)}" src="{esc(uri)}"></figure>'


def document(title: str, sections: Sequence[str]) -> str:
    """A whole self-contained page: inline style, no script, nothing to load."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, to 0.1, held between 0 and 100 (0 when
    ``whole`` is not positive)."""
    if whole <= 0:
        return Decimal(0)
    share = part * 100 / whole
    return min(max(share, Decimal(0)), Decimal(100)).quantize(Decimal("0.1"))


def bar(name: str, value: Decimal, top: Decimal, label: str, text: str) -> str:
    """A cell with a progress bar and its figures in words (``data-value`` is ``value``): the
    bar is named for assistive technology, and the text says what it shows."""
    shown = min(max(value, Decimal(0)), top) if top > 0 else Decimal(0)
    return (
        f'<td data-field="{esc(name)}" data-value="{esc(value)}">'
        f'<progress value="{esc(shown)}" max="{esc(top)}" aria-label="{esc(label)}">'
        f"{esc(percent(value, top))} %</progress> {esc(text)}</td>"
    )
