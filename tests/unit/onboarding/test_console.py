"""Console output: plain text off a terminal, colour with FORCE_COLOR, live progress lines on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from template_gen.console import Console, shown_path, styled, usage_style


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_colour_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_table_is_plain_and_aligned_when_not_a_terminal() -> None:
    out = io.StringIO()
    Console(out, io.StringIO()).table(
        ("NAME", "COUNT"), [(styled("a", "bold"), "1"), ("bbbb", styled("100", "red"))], align=("l", "r")
    )
    assert out.getvalue() == "NAME  COUNT\na         1\nbbbb    100\n"


def test_force_color_styles_cells_without_colouring_the_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    Console(out, io.StringIO()).table(("NAME", "KIND"), [(styled("a", "bold"), styled("ecs", "cyan"))])
    assert out.getvalue().splitlines() == [
        "\x1b[1mNAME\x1b[0m  \x1b[1mKIND\x1b[0m",
        "\x1b[1ma\x1b[0m     \x1b[36mecs\x1b[0m",
    ]


def test_no_color_wins_over_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    console = Console(out, Terminal())
    console.success("done")
    console.table(("A",), [(styled("x", "red"),)])
    assert out.getvalue() == "done\nA\nx\n"


def test_term_dumb_turns_colour_and_live_progress_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    out, err = Terminal(), Terminal()
    console = Console(out, err)
    console.success("done")
    console.error("e")
    with console.progress("pushing") as line:
        line.update("layer 1/2")
    assert (out.getvalue(), err.getvalue()) == ("done\n", "error: e\npushing ...\n    layer 1/2\n")


def test_force_color_wins_over_term_dumb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    Console(out, io.StringIO()).success("done")
    assert out.getvalue() == "\x1b[32mdone\x1b[0m\n"


def test_messages_go_to_stderr_with_their_prefix() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err)
    console.warning("w")
    console.error("e")
    console.note("n")
    assert (out.getvalue(), err.getvalue()) == ("", "warning: w\nerror: e\nnote: n\n")


def test_progress_off_a_terminal_prints_the_step_and_each_new_detail_once() -> None:
    err = io.StringIO()
    with Console(io.StringIO(), err).progress("waiting for the change set") as line:
        line.update("CREATE_PENDING")
        line.update("CREATE_PENDING")
        line.update("CREATE_COMPLETE")
    assert err.getvalue() == "waiting for the change set ...\n    CREATE_PENDING\n    CREATE_COMPLETE\n"


def test_transient_progress_prints_nothing_off_a_terminal() -> None:
    err = io.StringIO()
    with Console(io.StringIO(), err).progress("synthesizing", transient=True) as line:
        line.update("network")
    assert err.getvalue() == ""


def test_progress_on_a_terminal_redraws_one_line_and_ends_with_a_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    err = Terminal()
    with Console(io.StringIO(), err).progress("pushing") as line:
        line.update("layer 1/2")
    assert err.getvalue() == "\r\x1b[K⠋ pushing\r\x1b[K⠙ pushing layer 1/2\r\x1b[K✓ pushing\n"


def test_progress_on_a_terminal_marks_a_failure_and_lets_the_error_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    err = Terminal()
    with pytest.raises(RuntimeError), Console(io.StringIO(), err).progress("building"):
        raise RuntimeError("boom")
    assert err.getvalue() == "\r\x1b[K⠋ building\r\x1b[K✗ building\n"


@pytest.mark.parametrize(
    ("used", "style"), [(0, "green"), (249, "green"), (250, "yellow"), (399, "yellow"), (400, "red")]
)
def test_usage_style_by_share_of_the_quota(used: int, style: str) -> None:
    assert usage_style(used, 500) == style


def test_shown_path_is_relative_inside_the_base_and_as_given_outside(tmp_path: Path) -> None:
    assert shown_path(tmp_path / "build" / "dev", tmp_path) == "build/dev"
    outside = tmp_path.parent / "elsewhere"
    assert shown_path(outside, tmp_path) == str(outside)
