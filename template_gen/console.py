"""Terminal output: colour and tables on a TTY, plain text everywhere else (pipes, CI, tests).

Honours NO_COLOR (https://no-color.org) and FORCE_COLOR.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


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

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        for line in table_lines(headers, rows, lambda h: self.style(h, "bold")):
            print(line.rstrip(), file=self.out)


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], head_style=lambda h: h) -> list[str]:  # type: ignore[no-untyped-def]
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(head_style(h.ljust(w)) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return lines
