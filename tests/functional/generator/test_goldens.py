"""Golden templates: every case under tests/golden/, compared resource by resource.

Run `pytest --update-goldens` to rewrite the expected templates after an intended change, then review
the diff like any other code change.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
import yaml
from synth_cases import CASES, PARAMS

Templates = Callable[[str, str], dict[str, str]]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_templates_match_goldens(templates: Templates, update_goldens: bool, case: str, env: str) -> None:
    expected_dir = CASES[case].folder / "expected" / env
    actual = templates(case, env)
    if update_goldens:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for name, text in actual.items():
            (expected_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / name).write_text(text, encoding="utf-8")
        pytest.skip("goldens updated")
    written = sorted(p.relative_to(expected_dir).as_posix() for p in expected_dir.rglob("*") if p.is_file())
    assert written == sorted(actual), "the set of files written differs"
    for name, text in sorted(actual.items()):
        if not name.endswith(".yaml"):
            assert text == (expected_dir / name).read_text(encoding="utf-8"), f"{name} differs"
            continue
        want = yaml.safe_load((expected_dir / name).read_text(encoding="utf-8"))
        got = yaml.safe_load(text)
        for section in ("Parameters", "Outputs", "Conditions", "Transform", "Description"):
            assert got.get(section) == want.get(section), f"{name}: {section} differ"
        want_res, got_res = want.get("Resources", {}), got.get("Resources", {})
        assert sorted(got_res) == sorted(want_res), f"{name}: resources added or removed"
        for logical_id in sorted(want_res):
            assert got_res[logical_id] == want_res[logical_id], f"{name}: resource {logical_id} differs"
        # Formatting is part of the contract too (review diffs): the text must match byte for byte.
        assert text == (expected_dir / name).read_text(encoding="utf-8"), f"{name}: formatting differs"
