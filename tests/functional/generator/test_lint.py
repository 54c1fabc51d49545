"""cfn-lint (library API) over every template of every golden case and environment: zero matches."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from support import lint_matches
from synth_cases import CASES, PARAMS


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_template_passes_cfn_lint(templates: Callable[[str, str], dict[str, str]], case: str, env: str) -> None:
    registry = yaml.safe_load((CASES[case].project / "services" / "registry.yaml").read_text())
    region = registry["environments"][env].get("region", registry["region"])
    problems = {
        name: lint_matches(text, region) for name, text in templates(case, env).items() if name.endswith(".yaml")
    }
    assert problems == {name: [] for name in problems}
