from __future__ import annotations

from template_gen import quotas
from template_gen.layout.placement import Placement


def test_template_usage_is_measured_against_each_quota_limit() -> None:
    uses = quotas.template_usage("compute.yaml", 501, 200, 10, 1_000)
    assert [(u.quota, u.used, u.limit) for u in uses] == [
        (quotas.CFN_RESOURCES, 501, 500),
        (quotas.CFN_PARAMETERS, 200, 200),
        (quotas.CFN_OUTPUTS, 10, 200),
        (quotas.CFN_BYTES, 1_000, 1_000_000),
    ]
    assert [u.exceeded for u in uses] == [True, False, False, False]
    assert quotas.exceeded_message(uses[0]) == (
        "quota exceeded: resources per CloudFormation template is 500; compute.yaml would have 501"
    )


def test_a_raised_limit_replaces_the_default_one() -> None:
    raised = quotas.Usage(quotas.API_RESOURCES, "public API", 400, 500)
    assert not raised.exceeded and raised.share == 0.8
    assert raised.to_json() == {
        "quota": "api_resources", "name": "resources per REST API", "scope": "public API", "used": 400, "limit": 500,
    }  # fmt: skip


def test_anything_not_placed_lives_in_the_first_place() -> None:
    placed = Placement(compute={"quoting": 2}, albs={"quoting": 3}, routes={"quoting": 2})
    assert (placed.compute_shard_of("quoting"), placed.alb_of("quoting"), placed.route_shard_of("quoting")) == (2, 3, 2)
    assert (placed.compute_shard_of("orders"), placed.alb_of("orders"), placed.route_shard_of("orders")) == (1, 1, 1)
