"""The one-pass encoder gives exactly what troposphere's `Template.to_dict()` gives, key order included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synth_cases import CASES, PARAMS

from template_gen.encode import template_dict
from template_gen.pipeline import build_stages, load_registry, placed_spec
from template_gen.stacks import root
from template_gen.stacks.common import RenderContext


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_stage_encodes_as_troposphere_encodes_it(case: str, env: str, tmp_path: Path) -> None:
    project = CASES[case].project
    spec = placed_spec(load_registry(project, [env]), env)
    stages = build_stages(spec, RenderContext(project))
    templates = [root.build(spec, [s.info() for s in stages]).template, *(s.template for s in stages)]
    for template in templates:
        assert json.dumps(template_dict(template)) == json.dumps(template.to_dict())
