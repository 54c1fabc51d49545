"""A 1,000-service platform: every observability stack within the template quotas, one per compute shard,
every invariant of the stage holding, and the first and last observability stacks clean under cfn-lint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from observability_invariants import (
    alarms_without_actions,
    dangling_dimensions,
    missing_alarms,
    oversized_dashboards,
    rollback_alarms_exist,
)
from support import lint_matches

from template_gen import quotas
from template_gen.pipeline import Synthesis

pytestmark = pytest.mark.slow
Generated = Callable[[int], tuple[Path, Synthesis]]


def test_a_thousand_services_get_their_alarms_and_dashboards_within_quotas(generated: Generated) -> None:
    _, result = generated(1000)
    spec = result.spec
    by_file = {s.file_name: s for s in result.stacks}
    observability = [f for f in by_file if f.startswith("observability")]
    assert len(observability) == len(spec.placement.compute_shards) > 1  # placement follows compute
    for name in observability:
        stack = by_file[name]
        assert stack.resources <= quotas.CFN_RESOURCES.limit, name
        assert stack.parameters <= quotas.CFN_PARAMETERS.limit, name
        assert stack.size <= quotas.CFN_BYTES.limit, name
    stacks = {s.file_name: yaml.safe_load(s.text) for s in result.stacks}
    assert missing_alarms(stacks) == []
    assert alarms_without_actions(stacks) == []
    assert oversized_dashboards(stacks) == []
    assert dangling_dimensions(stacks) == []
    assert rollback_alarms_exist(stacks) == []
    for name in (observability[0], observability[-1]):
        assert lint_matches(by_file[name].text) == [], name
