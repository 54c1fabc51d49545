"""Golden templates: every case under tests/golden/, compared resource by resource.

Run `pytest --update-goldens` to rewrite the expected templates after an intended change, then review
the diff like any other code change.
"""

from __future__ import annotations

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
        expected_dir.mkdir(parents=True, exist_ok=True)
        for stale in expected_dir.glob("*.yaml"):
            stale.unlink()
        for name, text in actual.items():
            (expected_dir / name).write_text(text, encoding="utf-8")
        pytest.skip("goldens updated")
    assert sorted(p.name for p in expected_dir.glob("*.yaml")) == sorted(actual), "template files differ"
    for name, text in sorted(actual.items()):
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
