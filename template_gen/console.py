"""Terminal output: colour, tables and progress lines on a TTY, plain text everywhere else (pipes, CI, tests).

Honours NO_COLOR (https://no-color.org), FORCE_COLOR and TERM=dumb (a terminal that understands no escape
codes: no colour, no redrawn lines). Colour never changes the words printed, only
how they look, so plain output is exactly what a TTY shows minus the escape codes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

_CODES = {
    "bold": "1",
    "dim": "2",
    "underline": "4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _terminal(stream)


def _terminal(stream: TextIO) -> bool:
    """A terminal that understands escape codes."""
    return os.environ.get("TERM") != "dumb" and hasattr(stream, "isatty") and stream.isatty()


@dataclass(frozen=True)
class Styled:
    """A table cell with its own style; its width is that of the plain text."""

    text: str
    styles: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


def styled(text: str, *styles: str) -> Styled:
    return Styled(text, styles)


Cell = str | Styled


def shown_path(path: Path, base: Path) -> str:
    """`path` as printed for the user: relative to `base` when it is inside it."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def usage_style(used: int, limit: int) -> str:
    """Green under half a quota, yellow under 80 %, red above."""
    ratio = used / limit if limit else 1.0
    return "green" if ratio < 0.5 else "yellow" if ratio < 0.8 else "red"


class Progress:
    """One status line for a long operation: redrawn in place on a TTY, a plain line per change elsewhere."""

    def __init__(self, console: Console, text: str, transient: bool = False) -> None:
        self._console = console
        self._text = text
        self._detail = ""
        self._frame = 0
        self._transient = transient
        # Redrawing needs a terminal; colour is decided separately (NO_COLOR still gets the live line).
        self.live = _terminal(console.err)

    def start(self) -> None:
        if self.live:
            self._draw()
        elif not self._transient:
            print(f"{self._text} ...", file=self._console.err)

    def update(self, detail: str) -> None:
        """Show what the operation is doing now (call it from a polling loop: each call advances the
        spinner). Plain output prints a detail only when it changes."""
        changed = detail != self._detail
        self._detail = detail
        self._frame += 1
        if self.live:
            self._draw()
        elif changed and detail and not self._transient:
            print(f"    {detail}", file=self._console.err)

    def finish(self, ok: bool) -> None:
        if not self.live:
            return
        if self._transient:
            self._console.err.write("\r\033[K")
            self._console.err.flush()
            return
        mark = (
            self._console.style("✓", "green", stream=self._console.err)
            if ok
            else self._console.style("✗", "red", stream=self._console.err)
        )
        self._console.err.write(f"\r\033[K{mark} {self._text}\n")
        self._console.err.flush()

    def _draw(self) -> None:
        spin = self._console.style(_SPINNER[self._frame % len(_SPINNER)], "cyan", stream=self._console.err)
        detail = self._console.style(f" {self._detail}", "dim", stream=self._console.err) if self._detail else ""
        self._console.err.write(f"\r\033[K{spin} {self._text}{detail}")
        self._console.err.flush()


class Console:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def style(self, text: str, *styles: str, stream: TextIO | None = None) -> str:
        if not styles or not use_color(stream or self.out):
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def error(self, text: str) -> None:
        print(self.style("error:", "red", "bold", stream=self.err) + " " + text, file=self.err)

    def warning(self, text: str) -> None:
        print(self.style("warning:", "yellow", "bold", stream=self.err) + " " + text, file=self.err)

    def note(self, text: str) -> None:
        """Advice for the user, on stderr so that stdout stays machine-readable."""
        print(self.style("note:", "cyan", "bold", stream=self.err) + " " + text, file=self.err)

    def success(self, text: str) -> None:
        print(self.style(text, "green"), file=self.out)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Cell]], align: Sequence[str] | None = None) -> None:
        """Columns padded to their widest cell; `align` is one of "l"/"r" per column (default: left).
        Cells may be `Styled` to colour them on a TTY."""
        for line in table_lines(headers, rows, lambda h: self.style(h, "bold"), align, self._cell):
            print(line.rstrip(), file=self.out)

    @contextmanager
    def progress(self, text: str, transient: bool = False) -> Iterator[Progress]:
        """`with console.progress("waiting for the change set") as p: ... p.update("CREATE_PENDING")`, on
        stderr. `transient`: only on a terminal, erased when done (plain output is unchanged)."""
        line = Progress(self, text, transient)
        line.start()
        try:
            yield line
        except BaseException:
            line.finish(False)
            raise
        line.finish(True)

    def _cell(self, cell: Cell, text: str) -> str:
        if isinstance(cell, Styled) and cell.styles:
            return self.style(text, *cell.styles)
        return text


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    head_style: Callable[[str], str] = lambda h: h,
    align: Sequence[str] | None = None,
    cell_style: Callable[[Cell, str], str] = lambda _cell, text: text,
) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    sides = list(align or ()) + ["l"] * (len(headers) - len(align or ()))

    def pad(styled_text: str, plain: str, width: int, side: str) -> str:
        # Pad outside the escape codes, so that colour never spills into the gaps between columns.
        space = " " * (width - len(plain))
        return space + styled_text if side == "r" else styled_text + space

    lines = ["  ".join(pad(head_style(h), h, w, s) for h, w, s in zip(headers, widths, sides, strict=True))]
    lines += [
        "  ".join(pad(cell_style(c, str(c)), str(c), w, s) for c, w, s in zip(row, widths, sides, strict=True))
        for row in rows
    ]
    return lines
