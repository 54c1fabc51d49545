"""What `diff` and `review` (and any command that updates stacks) share: the --allow-data-loss flag,
the guard's lines under the report, and exit code 4."""

from __future__ import annotations

import argparse

from template_gen.console import Console
from template_gen.guard.check import (
    ALLOW_FLAG,
    EXIT_DATA_LOSS,
    Verdict,
    refusal_summary,
    text_lines,
    unmatched_warnings,
)


def add_allow_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        ALLOW_FLAG,
        action="append",
        default=[],
        dest="allow_data_loss",
        metavar="LOGICAL_ID",
        help="let this one stateful resource be replaced, deleted or moved, losing its data (repeatable; "
        f"otherwise such a change is refused with exit {EXIT_DATA_LOSS})",
    )


def show_verdict(console: Console, verdict: Verdict, as_text: bool) -> None:
    """Text mode: the guard's lines on stdout under the report. Both modes: warnings and the refusal on
    stderr (JSON mode carries the verdict in the document)."""
    for warning in unmatched_warnings(verdict):
        console.warning(warning)
    if as_text:
        for line in text_lines(verdict):
            console.print(line)
    if verdict.blocked:
        console.error(refusal_summary(verdict))


def exit_code(verdict: Verdict, changes_code: int) -> int:
    """4 when the guard refused (it wins over 3 for changes), else what the command would exit with."""
    return EXIT_DATA_LOSS if verdict.blocked else changes_code
