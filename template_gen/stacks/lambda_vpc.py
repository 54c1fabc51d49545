"""A `kind: lambda` service with `vpc: true`: the permissions Lambda needs to attach it to the VPC, and to
find the tasks of the services it calls.

Service Connect names (`http://quoting:8080`) resolve only inside ECS tasks, through their proxy. A
function finds a callee's tasks with Cloud Map's DiscoverInstances on the environment's namespace (its
name is in SERVICE_CONNECT_NAMESPACE) and connects to an instance's address and port, which the callee's
security group admits from the function's group.

Deleting such a function (or its group) waits for Lambda to release the network interfaces, which can
take 20 to 40 minutes ("CloudFormation is waiting for NetworkInterfaces associated with the Lambda
Function to be cleaned up", cloudformation-coverage-roadmap#392); the group is deleted only after that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awacs import ec2 as ec2_actions
from awacs import servicediscovery as sd_actions
from awacs.aws import Statement
from troposphere import Sub, awslambda

from template_gen.spec import EnvironmentSpec, LambdaServiceSpec
from template_gen.stacks import iam

# What Lambda does with the function's role to manage its network interfaces (the actions of the
# AWSLambdaVPCAccessExecutionRole managed policy). The two Describe actions have no resource-level
# permissions; the others act on the Region's network interfaces, subnets and security groups, of any
# account (a shared VPC's subnets belong to its owner).
ENI_ACTIONS = (
    ec2_actions.CreateNetworkInterface,
    ec2_actions.DeleteNetworkInterface,
    ec2_actions.AssignPrivateIpAddresses,
    ec2_actions.UnassignPrivateIpAddresses,
)
ENI_DESCRIBE_ACTIONS = (ec2_actions.DescribeNetworkInterfaces, ec2_actions.DescribeSubnets)


def statements(svc: LambdaServiceSpec) -> list[Statement]:
    out = [
        iam.allow(ENI_ACTIONS, [Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:*:*")], "VpcNetworkInterfaces"),
        iam.allow(ENI_DESCRIBE_ACTIONS, ["*"], "DescribeVpcNetworkInterfaces"),
    ]
    if svc.calls:
        # DiscoverInstances has no resource-level permissions either.
        out.append(iam.allow([sd_actions.DiscoverInstances], ["*"], "FindCallees"))
    return out


@dataclass(frozen=True)
class VpcSettings:
    config: awslambda.VPCConfig | None = None
    statements: list[Statement] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)


def settings(env: EnvironmentSpec, svc: LambdaServiceSpec, subnets: Any, own_group: Any) -> VpcSettings:
    """What a function with `vpc: true` adds to its definition (nothing for one outside the VPC)."""
    if not svc.vpc:
        return VpcSettings()
    config = awslambda.VPCConfig(SubnetIds=subnets, SecurityGroupIds=[own_group, *svc.security_groups])
    variables = {}
    if svc.calls and env.service_connect_namespace:
        variables["SERVICE_CONNECT_NAMESPACE"] = env.service_connect_namespace
    return VpcSettings(config, statements(svc), variables)
