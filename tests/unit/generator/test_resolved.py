"""What the API deployment's digest reads of the stacks its parameters come from (`stacks/resolved.py`): the
same values whether a stack was built here or in a worker process, and only what its outputs reach."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from synth_cases import CASES, PARAMS

from template_gen.encode import template_dict
from template_gen.pipeline import build_stages, load_registry, placed_spec
from template_gen.stacks import resolved
from template_gen.stacks.common import RenderContext, StackBuilder, Stage, StageOutput

REGION = "eu-west-1"


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_a_stage_built_here_and_one_rendered_elsewhere_give_the_same_values(case: str, env: str) -> None:
    project = CASES[case].project
    spec = placed_spec(load_registry(project, [env]), env)
    for stage in build_stages(spec, RenderContext(project)):
        here = resolved.stage_values(stage, spec.region)  # encodes only what the outputs reach
        # what a worker sends back: from the whole rendered template, through a pickle
        there = pickle.loads(
            pickle.dumps(resolved.stack_values(template_dict(stage.template), stage.parameter_values, spec.region))
        )
        assert here == there, stage.key


def template(vpc: str = "vpc-1", description: str = "web", port: int = 443) -> dict[str, Any]:
    return {
        "Parameters": {"VpcId": {"Type": "String", "Default": vpc}, "Unused": {"Type": "String"}},
        "Resources": {
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": description,
                    "VpcId": {"Ref": "VpcId"},
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port}],
                },
            },
            "Other": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}},
        },
        "Outputs": {"GroupId": {"Value": {"Fn::GetAtt": ["Group", "GroupId"]}}},
    }


def test_only_what_the_outputs_reach_is_kept_and_fed_values_win_over_defaults() -> None:
    values = resolved.stack_values(template(), {"VpcId": StageOutput("network", "VpcId")}, REGION)
    assert values.outputs == {"GroupId": {"Fn::GetAtt": ["Group", "GroupId"]}}
    assert values.resources == {
        "Group": [
            "AWS::EC2::SecurityGroup",
            [[["GroupDescription"], ["web"]], [["GroupName"], []], [["VpcId"], [{"Ref": "VpcId"}]]],
        ]
    }  # its create-only properties only; the queue no output names is left out
    assert values.parameters == {"VpcId": StageOutput("network", "VpcId")}  # the root's value, not the default
    assert resolved.stack_values(template(), {}, REGION).parameters == {"VpcId": "vpc-1"}  # else the default


def digest_of(network_vpc: str, **group: Any) -> str:
    """The digest of a route stack fed the group's id, through a compute stack fed the network's VPC."""
    routes = StackBuilder("routes", {})
    routes.parameter("GroupId", StageOutput("compute", "GroupId"))
    network = {"Outputs": {"VpcId": {"Value": network_vpc}}}
    values = {
        "network": resolved.stack_values(network, {}, REGION),
        "compute": resolved.stack_values(template(**group), {"VpcId": StageOutput("network", "VpcId")}, REGION),
    }
    return resolved.digest([Stage("api", "ApiStack", "api.yaml", routes)], values)


def test_the_digest_follows_create_only_values_from_stack_to_stack() -> None:
    base = digest_of("vpc-1")
    assert len(base) == 64
    assert digest_of("vpc-1") == base
    assert digest_of("vpc-2") != base  # a new VPC replaces the group, two stacks away
    assert digest_of("vpc-1", description="api") != base  # a create-only property of the group itself
    assert digest_of("vpc-1", port=8443) == base  # an ingress rule is updated in place: the same group id
