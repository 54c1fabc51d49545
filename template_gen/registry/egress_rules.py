"""Rules of VPC endpoints and restricted egress (docs/security.md, task egress allow-lists): a service whose
egress is restricted must still reach everything its tasks need at launch and at run time, through the
endpoints the environment creates, or it would fail only at deploy time (image pulls, logs, secrets)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from template_gen.quotas import SG_OUTBOUND_RULES
from template_gen.registry.context import EnvironmentContext
from template_gen.registry.entries import ServiceEntry
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.registry.models import ContainerService, EcsService, LambdaService, NetworkCreate, WorkerService
from template_gen.registry.rules import Finding

_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/")
NFS_PORT = 2049


def endpoint_settings(ctx: EnvironmentContext) -> Iterator[Finding]:
    """network.endpoints on its own."""
    net = ctx.env.network
    endpoints = net.endpoints
    for index, name in enumerate(endpoints.services):
        if name in endpoints.services[:index]:
            yield Finding(("network", "endpoints", "services", index), f"'{name}' is listed twice")
    if isinstance(net, NetworkCreate):
        if endpoints.route_table_ids:
            yield Finding(
                ("network", "endpoints", "route_table_ids"),
                "a created VPC's S3 gateway endpoint goes on its own private route tables",
                hint="remove route_table_ids",
            )
    elif "s3" in endpoints.services and not endpoints.route_table_ids:
        yield Finding(
            ("network", "endpoints", "services", endpoints.services.index("s3")),
            "the S3 gateway endpoint needs the route tables of the task subnets "
            f"(mode {net.mode}: the VPC is not created here)",
            hint="list them in network.endpoints.route_table_ids",
        )


def _restricted(entry: ServiceEntry, ctx: EnvironmentContext) -> bool:
    model = entry.model
    return isinstance(model, ContainerService) and (model.egress.mode or ctx.env.network.task_egress) == "restricted"


def needed_endpoints(model: ContainerService) -> dict[str, str]:
    """The endpoints a container service's tasks call, by name, with why."""
    needed = {"ecr": "image pulls", "s3": "image layers", "logs": "container logs"}
    if model.repository_credentials or any(ref.secrets_manager for ref in model.secrets.values()):
        needed["secretsmanager"] = "secrets"
    if any(ref.ssm for ref in model.secrets.values()):
        needed["ssm"] = "secrets"
    if model.exec:
        needed["ssmmessages"] = "exec"
    if model.xray:
        needed["xray"] = "xray"
    if isinstance(model, WorkerService) and model.queue is not None:
        needed["sqs"] = "queue"
    return needed


def restricted_egress(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Every service with restricted egress can launch and run: its endpoints, S3's prefix list, images in
    ECR of the Region, NFS for EFS. An allow list only where egress is restricted. No NAT only when nothing
    in the VPC needs the internet."""
    net, env_name = ctx.env.network, ctx.env_name
    endpoints = net.endpoints
    restricted_names = []
    for entry in ctx.services:
        model = entry.model
        if not isinstance(model, ContainerService):
            continue
        if not _restricted(entry, ctx):
            if model.egress.allow:
                yield Finding(
                    ("egress", "allow"),
                    "an allow list needs restricted egress; this service's egress is open",
                    hint=f"set egress.mode: restricted (or network.task_egress: restricted in {REGISTRY_FILE})",
                    service=entry,
                )
            continue
        restricted_names.append(entry.name)
        where = ("egress", "mode") if model.egress.mode else ("egress",)
        why = "" if model.egress.mode else f" (network.task_egress of environment '{env_name}')"
        missing = {n: w for n, w in needed_endpoints(model).items() if n not in endpoints.services}
        if missing and not endpoints.security_group_id:
            listed = ", ".join(f"{n} ({w})" for n, w in missing.items())
            yield Finding(
                where,
                f"restricted egress{why} needs the VPC endpoints {listed}",
                hint=f"add them to environments.{env_name}.network.endpoints.services in {REGISTRY_FILE}, or name "
                "the group of endpoints the VPC already has in network.endpoints.security_group_id",
                service=entry,
            )
        yield from _allow_list(entry, model)
        yield from _outbound_quota(entry, model, ctx)
        yield from _images(entry, model, ctx)
        yield from _efs(entry, model)
    if restricted_names and not endpoints.s3_prefix_list_id:
        yield Finding(
            ("network", "endpoints", "s3_prefix_list_id"),
            f"required while a container service has restricted egress ({', '.join(restricted_names)}): ECR serves "
            "image layers from S3, which the tasks reach through the Region's S3 prefix list",
            hint=f"aws ec2 describe-managed-prefix-lists --region {ctx.region} --filters "
            f"Name=prefix-list-name,Values=com.amazonaws.{ctx.region}.s3 --query 'PrefixLists[0].PrefixListId'",
        )
    yield from _nat(ctx)


def _allow_list(entry: ServiceEntry, model: ContainerService) -> Iterator[Finding]:
    for index, allow in enumerate(model.egress.allow):
        if allow.cidr is None:
            continue
        try:
            network = ipaddress.IPv4Network(allow.cidr)
        except ValueError as exc:
            yield Finding(
                ("egress", "allow", index, "cidr"), f"'{allow.cidr}' is not an IPv4 network ({exc})", service=entry
            )
            continue
        if network.prefixlen == 0:
            yield Finding(
                ("egress", "allow", index, "cidr"),
                f"{allow.cidr} is every address: restricted egress would not restrict anything",
                hint="set egress.mode: open instead, or name the networks the service calls",
                service=entry,
            )


def _outbound_quota(entry: ServiceEntry, model: ContainerService, ctx: EnvironmentContext) -> Iterator[Finding]:
    """One rule each: the endpoints' groups, S3's prefix list (its weight is 1), each callee, each allow entry."""
    endpoints = ctx.env.network.endpoints
    enabled = {e.name: e.model for e in ctx.services}
    callees = [c for c in dict.fromkeys(model.calls) if c != entry.name and isinstance(enabled.get(c), EcsService)]
    interface = any(name != "s3" for name in endpoints.services)
    fixed = int(interface) + int(endpoints.security_group_id is not None) + int(endpoints.s3_prefix_list_id is not None)
    rules = fixed + len(callees) + len(model.egress.allow)
    if rules > SG_OUTBOUND_RULES.limit:
        yield Finding(
            ("egress", "allow"),
            f"quota exceeded: {SG_OUTBOUND_RULES.name} is {SG_OUTBOUND_RULES.limit}; the security group of "
            f"'{entry.name}' would have {rules} ({fixed} for AWS services, {len(callees)} callees, "
            f"{len(model.egress.allow)} allow entries)",
            hint="allow a network (a wider cidr) instead of single hosts, or a shared security_group",
            service=entry,
        )


def _not_in_ecr(image: str, region: str) -> bool:
    match = _ECR_IMAGE.match(image)
    return match is None or match.group("region") != region


def _images(entry: ServiceEntry, model: ContainerService, ctx: EnvironmentContext) -> Iterator[Finding]:
    region = ctx.region
    hint = "copy it into ECR (an ECR pull through cache rule does it on first pull), or set egress.mode: open"
    problem = f"is not in an ECR repository of {region}: restricted egress pulls images only through the VPC endpoints"
    if model.image.repository and _not_in_ecr(model.image.repository, region):
        yield Finding(("image", "repository"), f"'{model.image.repository}' {problem}", hint=hint, service=entry)
    images = [("sidecars", i, c.image) for i, c in enumerate(model.sidecars)]
    images += [("init_containers", i, c.image) for i, c in enumerate(model.init_containers)]
    for field, index, image in images:
        if _not_in_ecr(image, region):
            yield Finding((field, index, "image"), f"'{image}' {problem}", hint=hint, service=entry)
    daemon = ctx.env.ecs.xray_daemon_image
    if model.xray and _not_in_ecr(daemon, region):
        yield Finding(
            ("xray",),
            f"the X-Ray daemon image '{daemon}' (ecs.xray_daemon_image) {problem}",
            hint=f"set ecs.xray_daemon_image in {REGISTRY_FILE} to a copy in ECR (e.g. an ECR pull through cache "
            "of public.ecr.aws)",
            service=entry,
        )


def _efs(entry: ServiceEntry, model: ContainerService) -> Iterator[Finding]:
    nfs = any(a.port == NFS_PORT and a.protocol == "tcp" for a in model.egress.allow)
    for index, volume in enumerate(model.volumes):
        if volume.efs is not None and not nfs:
            yield Finding(
                ("volumes", index, "efs"),
                f"restricted egress: mounting EFS needs NFS (tcp {NFS_PORT}) to the file system's mount targets",
                hint=f"add an egress.allow entry with port: {NFS_PORT} and the mount targets' security_group",
                service=entry,
            )


def _nat(ctx: EnvironmentContext) -> Iterator[Finding]:
    net = ctx.env.network
    if not isinstance(net, NetworkCreate) or net.nat_gateways != "none":
        return
    open_ = [
        e.name
        for e in ctx.services
        if (isinstance(e.model, ContainerService) and not _restricted(e, ctx))
        or (isinstance(e.model, LambdaService) and e.model.vpc)
    ]
    if open_:
        yield Finding(
            ("network", "nat_gateways"),
            "none leaves the private subnets without a route to the internet, which these services use: "
            + ", ".join(open_),
            hint="restrict their egress (network.task_egress: restricted; a Lambda service in the VPC always "
            "needs one), or keep a NAT gateway",
        )
