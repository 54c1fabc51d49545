"""One security group per service (every container service, and each Lambda service in the VPC), and the
east-west rules between them: a callee's group admits the ALB's group (only when the callee is behind
the ALB) and the group of each service that declares it under `calls`, on the callee's port. Nothing
admits a CIDR.

Each group lives in its service's compute shard. Every ingress rule is a separate
`AWS::EC2::SecurityGroupIngress`, none inline: inline rules would make two services that call each
other reference each other's groups (a circular dependency); mixing inline and standalone rules on one
group lets a reconcile of the inline set drop the standalone ones (tfsec aws-vpc-disallow-mixed-sgr);
and CloudFormation updates an inline rule by revoking then re-authorizing it, a gap in traffic
(cloudformation-coverage-roadmap#2259). A rule between two shards lives in the later one, which takes
the earlier group's id as a parameter (later shards already depend on earlier ones, so no stack waits on
a later one).

A container service with restricted egress (stacks.egress) has no 0.0.0.0/0 rule: its inline egress
rules name the VPC endpoints' group, S3's prefix list and its allow list, and each call adds a separate
`AWS::EC2::SecurityGroupEgress` to the callee's group, beside the callee's ingress rule (for the same
circular-dependency reason). CloudFormation updates an inline rule list by revoking and authorizing the
rules that changed between templates, so the separate rules survive it (and never duplicate an inline one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from troposphere import GetAtt, ec2

from template_gen import naming
from template_gen.spec import EcsServiceSpec, EnvironmentSpec, LambdaServiceSpec, ServiceSpec
from template_gen.stacks import egress
from template_gen.stacks.common import StackBuilder, StageOutput

Parameter = Callable[[str, Any, str, str], Any]  # (name, value, type, description) -> Ref
StageOf = Callable[[int], tuple[str, str, str]]  # compute shard -> (stage key, logical id, file)


def has_group(svc: ServiceSpec) -> bool:
    return isinstance(svc, EcsServiceSpec) or (isinstance(svc, LambdaServiceSpec) and svc.vpc)


def edges(env: EnvironmentSpec) -> Iterator[tuple[ServiceSpec, EcsServiceSpec, int]]:
    """(caller, callee, port) for every declared call between two services of the (possibly partial) spec."""
    by_name = {s.name: s for s in env.services}
    for caller in env.services:
        if not has_group(caller):
            continue
        for name in caller.calls:
            callee = by_name.get(name)
            if isinstance(callee, EcsServiceSpec) and callee.port is not None:
                yield caller, callee, callee.port


def group_id_output(svc: ServiceSpec) -> str:
    return f"{svc.logical}SecurityGroupId"


class ServiceSecurityGroups:
    """The groups of one compute shard's services, and the rules that land in this shard."""

    def __init__(
        self, b: StackBuilder, env: EnvironmentSpec, shard: int, vpc_id: Any, parameter: Parameter, stage_of: StageOf
    ):
        self.b, self.env, self.shard, self.vpc_id = b, env, shard, vpc_id
        self.parameter, self.stage_of = parameter, stage_of
        self.ids: dict[str, Any] = {}
        self._alb_group: Any = None

    def shard_of(self, svc: ServiceSpec) -> int:
        return self.env.placement.compute_shard_of(svc.name)

    def build(self, services: list[ServiceSpec]) -> dict[str, Any]:
        for svc in services:
            if has_group(svc):
                self.ids[svc.name] = self._group(svc)
        for svc in services:
            if isinstance(svc, EcsServiceSpec) and svc.behind_alb and svc.port is not None:
                self._ingress(f"{svc.logical}FromAlbIngress", svc, self._alb(), svc.port, "from the internal ALB")
        for caller, callee, port in edges(self.env):
            if max(self.shard_of(caller), self.shard_of(callee)) != self.shard:
                continue
            title = f"{callee.logical}From{caller.logical}Ingress"
            self._ingress(title, callee, self._id_of(caller), port, f"from {caller.name} (calls)")
            if isinstance(caller, EcsServiceSpec) and caller.egress_restricted:
                self.b.add(egress.to_callee(caller, self._id_of(caller), callee, self._id_of(callee), port))
        return self.ids

    def _group(self, svc: ServiceSpec) -> Any:
        env = self.env
        served = isinstance(svc, EcsServiceSpec) and svc.port is not None
        admits = "the ALB and its declared callers only" if served else "no inbound traffic (it only calls out)"
        group = self.b.add(
            ec2.SecurityGroup(
                f"{svc.logical}SecurityGroup",
                GroupDescription=f"{env.stack_name} {svc.name}: {admits}",
                VpcId=self.vpc_id,
                SecurityGroupEgress=self._egress(svc),
            ),
            svc.tags,
        )
        group_id = GetAtt(group, "GroupId")
        self.b.output(
            group_id_output(svc),
            group_id,
            f"{svc.name}: its security group (admit it on a database or cache)",
            export=naming.export_name(env.platform, env.name, f"{svc.name}-security-group-id"),
        )
        return group_id

    def _egress(self, svc: ServiceSpec) -> list[ec2.SecurityGroupRule]:
        if isinstance(svc, EcsServiceSpec) and svc.egress_restricted:
            return egress.restricted_rules(self.env, svc, self.parameter)
        return [
            ec2.SecurityGroupRule(
                IpProtocol="-1", CidrIp="0.0.0.0/0", Description="images, AWS APIs, callees and databases"
            )
        ]

    def _alb(self) -> Any:
        if self._alb_group is None:
            self._alb_group = self.parameter(
                "AlbSecurityGroupId",
                StageOutput("network", "AlbSecurityGroupId"),
                "AWS::EC2::SecurityGroup::Id",
                "Security group of the internal ALB",
            )
        return self._alb_group

    def _id_of(self, svc: ServiceSpec) -> Any:
        if svc.name in self.ids:
            return self.ids[svc.name]
        # An earlier shard's service: its group id crosses as a parameter, as every stage value does.
        stage = self.stage_of(self.shard_of(svc))[0]
        name = group_id_output(svc)
        self.ids[svc.name] = self.parameter(
            name, StageOutput(stage, name), "AWS::EC2::SecurityGroup::Id", f"Security group of {svc.name}"
        )
        return self.ids[svc.name]

    def _ingress(self, title: str, callee: EcsServiceSpec, source: Any, port: int, description: str) -> None:
        self.b.add(
            ec2.SecurityGroupIngress(
                title,
                GroupId=self._id_of(callee),
                SourceSecurityGroupId=source,
                IpProtocol="tcp",
                FromPort=port,
                ToPort=port,
                Description=description,
            )
        )


def attached(svc: ServiceSpec, own: Any) -> list[Any]:
    """The groups on the service's network interfaces: its own, then the existing ones it lists."""
    return [own, *svc.security_groups]


__all__ = ["ServiceSecurityGroups", "attached", "edges", "group_id_output", "has_group"]
