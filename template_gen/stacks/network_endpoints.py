"""Network stage, VPC endpoints (`network.endpoints`): interface endpoints for the AWS services the platform's
tasks call (image pulls, logs, secrets, ECS Exec, X-Ray, queues), their security group, and the S3 gateway
endpoint (ECR keeps image layers in S3). With them, tasks whose egress is restricted (stacks.egress) reach
AWS without the NAT gateways.

Deploy-time behaviour this module is shaped by:
- A VPC takes one interface endpoint with private DNS per service: a second fails with "private-dns-enabled
  cannot be set because there is already a conflicting DNS domain for logs.<region>.amazonaws.com in the VPC
  vpc-..." (InvalidParameter). In a shared VPC, leave out the services it already has an endpoint for
  (network.endpoints.security_group_id names their group) or turn private_dns off.
- Private DNS needs the VPC's enableDnsSupport and enableDnsHostnames (a created VPC has both).
- The endpoints' group admits HTTPS from the VPC's CIDR, not from the services' groups: with private DNS on,
  every workload of the VPC resolves these services to the endpoints, and an inbound rule per service would
  run into the 60 inbound rules of a group. What a task may call is decided by its own egress rules.
- Interface endpoints per VPC: 50 by default (adjustable); gateway endpoints per Region: 20.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from troposphere import GetAtt, Ref, Sub, ec2

from template_gen.stacks import security

if TYPE_CHECKING:
    from template_gen.stacks.network import NetworkStage

ENDPOINT_GROUP_OUTPUT = "EndpointSecurityGroupId"
HTTPS = 443


def endpoint_id(suffix: str) -> str:
    """ecr.api -> EcrApiEndpoint, ecs-agent -> EcsAgentEndpoint."""
    return "".join(part.capitalize() for part in re.split(r"[.-]", suffix)) + "Endpoint"


def vpc_endpoints(stage: NetworkStage) -> None:
    b, net = stage.b, stage.net
    if net.interface_endpoints:
        group = b.add(
            ec2.SecurityGroup(
                "EndpointSecurityGroup",
                GroupDescription=f"{stage.name_prefix} VPC endpoints of AWS services: HTTPS from the VPC",
                VpcId=stage.vpc_id,
                SecurityGroupIngress=[
                    ec2.SecurityGroupRule(
                        IpProtocol="tcp",
                        FromPort=HTTPS,
                        ToPort=HTTPS,
                        CidrIp=Ref(stage.vpc_cidr),
                        Description="HTTPS from the VPC",
                    )
                ],
                # An interface endpoint only answers (security groups are stateful): no outbound rule is needed.
                SecurityGroupEgress=[security.no_egress("none: the endpoints only answer requests")],
            )
        )
        for suffix in net.interface_endpoints:
            endpoint = b.add(
                ec2.VPCEndpoint(
                    endpoint_id(suffix),
                    VpcId=stage.vpc_id,
                    VpcEndpointType="Interface",
                    ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{suffix}"),
                    SubnetIds=stage.lb_subnets,  # one per AZ: an interface endpoint takes one subnet per AZ
                    SecurityGroupIds=[GetAtt(group, "GroupId")],
                    PrivateDnsEnabled=net.endpoint_private_dns,
                )
            )
            b.output(endpoint_id(suffix) + "Id", Ref(endpoint), f"VPC endpoint of {suffix}")
        b.output(ENDPOINT_GROUP_OUTPUT, GetAtt(group, "GroupId"), "Security group of the VPC endpoints")
    if net.s3_gateway_endpoint:
        # The default policy (full access): the route tables carry all of the subnets' S3 traffic, the tasks'
        # own buckets included, so a policy limited to ECR's layer bucket would cut them off. IAM still decides.
        endpoint = b.add(
            ec2.VPCEndpoint(
                "S3GatewayEndpoint",
                VpcId=stage.vpc_id,
                VpcEndpointType="Gateway",
                ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
                RouteTableIds=stage.private_route_tables,
            )
        )
        b.output("S3GatewayEndpointId", Ref(endpoint), "S3 gateway endpoint (ECR image layers)")
