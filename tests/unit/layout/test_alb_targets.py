from __future__ import annotations

import copy
from pathlib import Path

from support import PRICING, QUOTING, make_project, run_cli

from template_gen.layout.capacity import ALB_CAPACITY, AlbLoad, max_targets
from template_gen.layout.placement import place


def test_targets_count_the_most_tasks_at_the_deployment_maximum() -> None:
    assert (max_targets(10, 200), max_targets(3, 150), max_targets(1, 100)) == (20, 5, 1)


def test_alb_placement_spreads_services_by_targets_as_well_as_rules() -> None:
    # 600 + 600 targets do not fit one ALB's 1,000, though two rules do
    items = [("a", AlbLoad(1, 600)), ("b", AlbLoad(1, 600)), ("c", AlbLoad(1, 300))]
    assert place(items, {}, ALB_CAPACITY) == {"a": 1, "b": 2, "c": 1}


def test_a_service_that_alone_exceeds_the_targets_of_an_alb_is_refused(tmp_path: Path) -> None:
    quoting = copy.deepcopy(QUOTING) | {"autoscaling": {"min": 1, "max": 600, "cpu_target": 60}}
    project = make_project(tmp_path, services={"quoting": quoting, "product-pricing": copy.deepcopy(PRICING)})
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "services/quoting/service.yaml: autoscaling.max: quota exceeded: targets per Application Load Balancer is "
        "1,000; 600 tasks at deployment.maximum_percent 200 can register 1,200",
        "    hint: lower the task maximum or deployment.maximum_percent, or split the service",
    ]
