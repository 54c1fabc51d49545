"""Stacks built and rendered in parallel processes are byte-identical to a serial build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from template_gen.pipeline import Synthesis, synthesize

pytestmark = pytest.mark.slow
Generated = Callable[[int], tuple[Path, Synthesis]]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_parallel_synth_writes_exactly_what_a_serial_one_writes(generated: Generated) -> None:
    # GIVEN a platform large enough for several compute and route stacks, synthesized serially
    project, serial = generated(400)
    assert len(serial.stacks) > 8
    # WHEN it is synthesized again by two processes (into a folder as deep: code paths are relative to it)
    out = project / "build-parallel" / "prod"
    parallel = synthesize(project, "prod", out_dir=out, jobs=2).write()
    # THEN every file is the same, byte for byte, and so is the summary
    assert files_of(out) == files_of(serial.out_dir)
    assert [(s.file_name, s.resources, s.size) for s in parallel.stacks] == [
        (s.file_name, s.resources, s.size) for s in serial.stacks
    ]
