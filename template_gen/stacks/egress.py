"""The outbound rules of a container service with restricted egress (`egress.mode: restricted`, or the
environment's `network.task_egress`): no 0.0.0.0/0 rule, only

- HTTPS to the VPC endpoints' security group (ECR, CloudWatch Logs, Secrets Manager, SSM, ... :
  stacks.network_endpoints), and to the group of endpoints the VPC already has, if one is named;
- HTTPS to the Region's S3 prefix list (the S3 gateway endpoint: ECR serves image layers from S3);
- the services it calls, on their ports (separate rules: stacks.service_security);
- its own `egress.allow` entries.

DNS needs no rule: security groups do not filter traffic to the Amazon-provided DNS server (the VPC's base
address plus two, and 169.254.169.253), nor to the ECS task metadata endpoint (169.254.170.2) that the task
role's credentials come from (Amazon VPC user guide, security group rules). The S3 prefix list id is a
parameter, fed from the registry: CloudFormation can neither look up an AWS-managed prefix list nor read one
from the gateway endpoint (AWS::EC2::VPCEndpoint returns no prefix list id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from troposphere import ec2

from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks import security
from template_gen.stacks.common import StageOutput
from template_gen.stacks.network_endpoints import ENDPOINT_GROUP_OUTPUT, HTTPS

Parameter = Callable[[str, Any, str, str], Any]  # (name, value, type, description) -> Ref


def _https(description: str, **destination: Any) -> ec2.SecurityGroupRule:
    return ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=HTTPS, ToPort=HTTPS, Description=description, **destination)


def restricted_rules(env: EnvironmentSpec, svc: EcsServiceSpec, parameter: Parameter) -> list[ec2.SecurityGroupRule]:
    net = env.network
    rules = []
    if net.interface_endpoints:
        group = parameter(
            ENDPOINT_GROUP_OUTPUT,
            StageOutput("network", ENDPOINT_GROUP_OUTPUT),
            "AWS::EC2::SecurityGroup::Id",
            "Security group of the VPC endpoints",
        )
        rules.append(_https("HTTPS to the VPC endpoints of AWS services", DestinationSecurityGroupId=group))
    if net.existing_endpoint_group:
        rules.append(_https("HTTPS to the VPC's own endpoints", DestinationSecurityGroupId=net.existing_endpoint_group))
    if net.s3_prefix_list_id:
        prefix_list = parameter(
            "S3PrefixListId", net.s3_prefix_list_id, "String", "AWS-managed prefix list of S3 in the Region"
        )
        rules.append(
            _https("HTTPS to S3 (ECR image layers) through the gateway endpoint", DestinationPrefixListId=prefix_list)
        )
    for allow in svc.egress_allow:
        destination = {"CidrIp": allow.cidr} if allow.cidr else {"DestinationSecurityGroupId": allow.security_group}
        rules.append(
            ec2.SecurityGroupRule(
                IpProtocol=allow.protocol,
                FromPort=allow.port,
                ToPort=allow.port,
                Description=allow.description or "egress.allow",
                **destination,
            )
        )
    # An empty list would leave the group its default allow-all rule: never restricted, never empty.
    return rules or [security.no_egress("no egress: restricted, and nothing allowed")]


def to_callee(caller: EcsServiceSpec, caller_group: Any, callee: EcsServiceSpec, callee_group: Any, port: int) -> Any:
    """The caller's rule to a callee's tasks: Service Connect's proxy connects from the caller's task interface
    to the callee's tasks on the callee's port."""
    return ec2.SecurityGroupEgress(
        f"{caller.logical}To{callee.logical}Egress",
        GroupId=caller_group,
        DestinationSecurityGroupId=callee_group,
        IpProtocol="tcp",
        FromPort=port,
        ToPort=port,
        Description=f"to {callee.name} (calls)",
    )
