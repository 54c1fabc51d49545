"""The services table and the synth summary: plain text when piped, coloured with FORCE_COLOR."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_cli
from synth_cases import CASES, copy_project

BOLD, CYAN, MAGENTA, YELLOW, GREEN, RESET = "\x1b[1m", "\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[0m"
BLUE = "\x1b[34m"


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    return copy_project(CASES["example"].project, tmp_path)


def test_services_table_has_no_escape_codes_when_piped(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    result = run_cli("services", "--env", "dev", project=example)
    assert "\x1b[" not in result.out
    assert result.out.splitlines()[1] == (
        "platform-info    lambda  /platform         public    none        -                                     -"
    )


def test_services_table_colours_kinds_and_open_routes_with_force_color(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    lines = run_cli("services", "--env", "dev", project=example).out.splitlines()
    assert lines[1] == (
        f"{BOLD}platform-info{RESET}    {MAGENTA}lambda{RESET}  /platform         public    {YELLOW}none{RESET}        "
        "-                                     -"
    )
    # An internal service (exposure none) is not an open route: its auth is not highlighted.
    assert lines[2] == (
        f"{BOLD}pricing-rules{RESET}    {CYAN}ecs{RESET}     -                 none      none        "
        "-                                     -"
    )
    assert lines[4].startswith(f"{BOLD}quote-notifier{RESET}   {BLUE}worker{RESET}  -")
    assert lines[5].startswith(f"{BOLD}quoting{RESET}          {CYAN}ecs{RESET}     /quoting")


def test_synth_summary_colours_quota_usage_with_force_color(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = run_cli("synth", "--env", "dev", project=example)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    templates = lines[2 : lines.index("")]  # the template table ends at the blank line before the quotas
    assert lines[0] == f"{GREEN}dev: wrote {len(templates)} templates to build/dev/{RESET}"
    assert templates[0].split()[:2] == ["template.yaml", "(root)"] and f"{GREEN}5/500 resources{RESET}" in templates[0]
    assert f"{GREEN}34/500 resources{RESET}" in templates[1]
    assert f"{GREEN}199/2,500{RESET}" in result.out  # the quota table is coloured too
