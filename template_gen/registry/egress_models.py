"""Models of the VPC endpoints an environment creates (`network.endpoints` in `services/registry.yaml`) and of
a container service's outbound traffic (`egress:` in `services/<name>/service.yaml`). See docs/security.md,
"Task egress allow-lists"."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from template_gen.registry.container_models import SecurityGroupId
from template_gen.registry.types import Model, Range

# The endpoints a Fargate task of the platform may need, by the name the registry uses. Each interface name
# is one or more `com.amazonaws.<region>.<suffix>` services; `s3` is the gateway endpoint.
INTERFACE_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "ecr": ("ecr.api", "ecr.dkr"),  # image pulls: the registry API and the Docker registry
    "logs": ("logs",),  # awslogs, ECS Exec session logs
    "secretsmanager": ("secretsmanager",),  # secrets_manager secrets, repository_credentials
    "ssm": ("ssm",),  # ssm secrets
    "ssmmessages": ("ssmmessages",),  # ECS Exec
    "kms": ("kms",),  # the application's own KMS calls
    "sts": ("sts",),  # the application's own STS calls (AssumeRole)
    "sqs": ("sqs",),  # workers' queues
    "xray": ("xray",),  # the X-Ray daemon sidecar
    "monitoring": ("monitoring",),  # CloudWatch PutMetricData from the application
    "ecs": ("ecs", "ecs-agent", "ecs-telemetry"),  # the ECS API (Regions opened after 2023-12-23 need all three)
}
GATEWAY_ENDPOINTS = ("s3",)
EndpointName = Literal[
    "ecr", "s3", "logs", "secretsmanager", "ssm", "ssmmessages", "kms", "sts", "sqs", "xray", "monitoring", "ecs"
]
RouteTableId = Annotated[str, Field(pattern=r"^rtb-[0-9a-f]{8,17}$")]
PrefixListId = Annotated[str, Field(pattern=r"^pl-[0-9a-f]{8,17}$")]


class VpcEndpoints(Model):
    services: list[EndpointName] = Field(
        default_factory=list,
        description="VPC endpoints to create: interface endpoints (one endpoint network interface per AZ, each "
        "billed by the hour) in the load balancer subnets, and s3, the S3 gateway endpoint (free) on the private "
        "route tables. A Fargate task with restricted egress needs ecr, s3 and logs, and secretsmanager, ssm, "
        "ssmmessages, xray or sqs for the features it uses.",
    )
    private_dns: bool = Field(
        True,
        description="Private DNS on the interface endpoints, so that the AWS SDKs and the ECS agent reach them by "
        "the services' usual names. A VPC takes one private-DNS endpoint per service: turn it off, or leave the "
        "service out, where the VPC already has one.",
    )
    route_table_ids: list[RouteTableId] = Field(
        default_factory=list,
        description="Route tables of the task subnets, for the S3 gateway endpoint (existing, lookup and default "
        "networks; a created VPC uses its own private route tables).",
    )
    s3_prefix_list_id: PrefixListId | None = Field(
        None,
        description="The Region's AWS-managed S3 prefix list (com.amazonaws.<region>.s3): tasks with restricted "
        "egress reach S3 (ECR image layers) through it. aws ec2 describe-managed-prefix-lists --filters "
        "Name=prefix-list-name,Values=com.amazonaws.<region>.s3",
    )
    security_group_id: SecurityGroupId | None = Field(
        None,
        description="Security group of interface endpoints the VPC already has (made outside this environment): "
        "tasks with restricted egress may reach it on 443 as well.",
    )


class EgressAllow(Model):
    """One destination a service with restricted egress may open connections to."""

    cidr: str | None = Field(None, description="IPv4 CIDR block, e.g. 10.1.0.0/16 (a database subnet).")
    security_group: SecurityGroupId | None = Field(None, description="Or: an existing security group.")
    # One port per entry: rule checkers flag port ranges (SECURITY_GROUP_EGRESS_PORT_RANGE_RULE).
    port: Annotated[int, Range(1, 65535)] = Field(description="Destination port (one; list several entries for more).")
    protocol: Literal["tcp", "udp"] = "tcp"
    description: str = Field("", max_length=200, pattern=r"^[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]*$")

    @model_validator(mode="after")
    def _one_destination(self) -> Self:
        if (self.cidr is None) == (self.security_group is None):
            raise ValueError("set exactly one of cidr or security_group")
        return self


class ServiceEgress(Model):
    mode: Literal["open", "restricted"] | None = Field(
        None,
        description="open: any destination (through the NAT gateways). restricted: only the VPC endpoints, S3, "
        "the services under calls and the allow list. Default: the environment's network.task_egress.",
    )
    allow: list[EgressAllow] = Field(
        default_factory=list, description="Restricted egress: further destinations (databases, caches, partners)."
    )


__all__ = [
    "GATEWAY_ENDPOINTS",
    "INTERFACE_ENDPOINTS",
    "EgressAllow",
    "EndpointName",
    "ServiceEgress",
    "VpcEndpoints",
]
