"""The network stage's ingress path, closed to everything but API Gateway: the NLB's security group, the
ALB's only inbound rule (from the NLB's group, or from the VPC link's group in `alb-direct`), and load
balancer deletion protection. Nothing here admits a CIDR."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from troposphere import GetAtt, ec2
from troposphere import elasticloadbalancingv2 as elbv2

from template_gen.spec import EnvironmentSpec

if TYPE_CHECKING:
    from template_gen.stacks.network import NetworkStage

# The NLB with a security group. Its logical ID differs from the NLB without one (`Nlb`) on purpose: a
# security group can only be given to an NLB when it is created (SetSecurityGroups fails on an NLB created
# without one), so upgrading replaces the NLB, and a new logical ID is how CloudFormation replaces it.
NLB_ID = "IngressNlb"
ALB_PORT = 80


def _protocol(port: int) -> str:
    return "HTTP" if port == ALB_PORT else "HTTPS"


def nlb_security_group(stage: NetworkStage, port: int = ALB_PORT) -> ec2.SecurityGroup:
    """No inbound rule: only PrivateLink traffic (the VPC link) reaches the NLB. Outbound: the ALB's `port` only."""
    return stage.b.add(
        ec2.SecurityGroup(
            "NlbSecurityGroup",
            GroupDescription=f"{stage.name_prefix} internal NLB: reached only through the API Gateway VPC link",
            VpcId=stage.vpc_id,
            SecurityGroupEgress=[
                ec2.SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=port,
                    ToPort=port,
                    DestinationSecurityGroupId=GetAtt(stage.alb_sg, "GroupId"),
                    Description=f"{_protocol(port)} and health checks to the internal ALB",
                )
            ],
        )
    )


def alb_ingress_from(
    stage: NetworkStage, source: ec2.SecurityGroup, description: str, port: int = ALB_PORT
) -> ec2.SecurityGroupIngress:
    """The ALB's one inbound rule, on its listener's `port`. A separate resource, because the source group's
    egress names the ALB's group."""
    return stage.b.add(
        ec2.SecurityGroupIngress(
            "AlbIngressFromApiGateway",
            GroupId=GetAtt(stage.alb_sg, "GroupId"),
            IpProtocol="tcp",
            FromPort=port,
            ToPort=port,
            SourceSecurityGroupId=GetAtt(source, "GroupId"),
            Description=f"{_protocol(port)} {description}",
        )
    )


def no_egress(description: str) -> ec2.SecurityGroupRule:
    """An egress rule that matches nothing: it replaces the default allow-all egress of a group."""
    return ec2.SecurityGroupRule(
        IpProtocol="icmp", FromPort=252, ToPort=86, CidrIp="255.255.255.255/32", Description=description
    )


def deletion_protection(env: EnvironmentSpec) -> list[Any]:
    """Load balancer deletion protection in production environments (`security.production`)."""
    if not env.security.production:
        return []
    return [elbv2.LoadBalancerAttributes(Key="deletion_protection.enabled", Value="true")]
