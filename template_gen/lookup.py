"""Resolve `network.mode: lookup | default` to concrete VPC and subnet ids.

The answer is cached in `services/environments/<env>.lookup.json` (commit it, like `cdk.context.json`):
synth is then deterministic and works offline. `--refresh-lookups` asks AWS again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from template_gen.errors import LookupFailed
from template_gen.registry.models import NetworkDefault, NetworkLookup

CACHE_DIR = "services/environments"
CACHE_VERSION = 1


@dataclass(frozen=True)
class Subnet:
    id: str
    az: str
    cidr: str
    public: bool


@dataclass(frozen=True)
class ResolvedVpc:
    vpc_id: str
    cidr: str
    subnets: tuple[Subnet, ...]

    def choose(self) -> tuple[tuple[str, ...], tuple[str, ...], bool, str]:
        """(load balancer subnets: one per AZ, task subnets, assign public IPs, warning)."""
        private = [s for s in self.subnets if not s.public]
        public = [s for s in self.subnets if s.public]
        warning = ""
        if len({s.az for s in private}) >= 2:
            chosen, public_ip = private, False
        elif len({s.az for s in public}) >= 2:
            chosen, public_ip = public, True
            warning = (
                f"VPC {self.vpc_id} has no private subnets in two or more Availability Zones: load balancers "
                "and tasks use its public subnets and tasks get public IPs (fine for development; use "
                "private subnets with a NAT gateway for production)"
            )
        else:
            raise LookupFailed(
                f"VPC {self.vpc_id} has no subnets in two Availability Zones of one kind (private or public); "
                "load balancers need two"
            )
        by_az: dict[str, list[Subnet]] = defaultdict(list)
        for subnet in chosen:
            by_az[subnet.az].append(subnet)
        # One subnet per AZ for load balancers: the largest, then the lowest id, so the choice is stable.
        lb = tuple(
            sorted(group, key=lambda s: (int(s.cidr.split("/")[1]), s.id))[0].id for _, group in sorted(by_az.items())
        )
        tasks = tuple(s.id for s in sorted(chosen, key=lambda s: (s.az, s.id)))
        return lb, tasks, public_ip, warning


def cache_path(project_dir: Path, env_name: str) -> Path:
    return project_dir / CACHE_DIR / f"{env_name}.lookup.json"


def offline(message: str) -> Callable[[str], Any]:
    """An EC2 client factory for commands that never call AWS: asked only when the cache cannot answer,
    it fails with `message` (LookupFailed)."""

    def factory(region: str) -> Any:
        raise LookupFailed(message)

    return factory


def _query(network: NetworkLookup | NetworkDefault, region: str) -> dict[str, Any]:
    if isinstance(network, NetworkDefault):
        return {"mode": "default", "region": region}
    return {"mode": "lookup", "region": region, "vpc_id": network.vpc_id, "vpc_tags": network.vpc_tags}


def resolve(
    project_dir: Path,
    env_name: str,
    network: NetworkLookup | NetworkDefault,
    region: str,
    refresh: bool = False,
    client_factory: Callable[[str], Any] | None = None,
) -> tuple[ResolvedVpc, str | None]:
    """The VPC for an environment, from the cache or from AWS. Returns (vpc, the new cache file's text when
    AWS was asked). Nothing is written here: the pipeline writes the cache with the build."""
    query = _query(network, region)
    path = cache_path(project_dir, env_name)
    if not refresh and path.is_file():
        cached = _read_cache(path, project_dir)
        if cached is not None and cached[0] == query:
            return cached[1], None
    # boto3 loads only here, when AWS is really asked: most synths read the cache (or need no lookup).
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    factory = client_factory or (lambda r: boto3.session.Session().client("ec2", region_name=r))
    rel = path.relative_to(project_dir).as_posix()
    try:
        vpc = _describe(factory(region), query)
    except (BotoCoreError, ClientError) as exc:
        reason = "no cached lookup" if not path.is_file() else "the cached lookup is for a different query"
        raise LookupFailed(
            f"environment '{env_name}': {reason} ({rel}) and AWS could not be asked: {exc}\n"
            f"    hint: run `template-gen synth --env {env_name} --refresh-lookups` with credentials for the "
            f"account, then commit {rel}"
        ) from exc
    return vpc, cache_text(query, vpc)


def _describe(ec2: Any, query: dict[str, Any]) -> ResolvedVpc:
    if query["mode"] == "default":
        filters = [{"Name": "is-default", "Values": ["true"]}]
        what = "the default VPC"
    elif query.get("vpc_id"):
        filters = [{"Name": "vpc-id", "Values": [query["vpc_id"]]}]
        what = f"VPC {query['vpc_id']}"
    else:
        tags = query["vpc_tags"] or {}
        filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in sorted(tags.items())]
        what = "a VPC tagged " + ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))
    vpcs = ec2.describe_vpcs(Filters=filters)["Vpcs"]
    if not vpcs:
        raise LookupFailed(f"{what} was not found in {query['region']}")
    if len(vpcs) > 1:
        ids = ", ".join(sorted(v["VpcId"] for v in vpcs))
        raise LookupFailed(f"{what} matches {len(vpcs)} VPCs ({ids}); use vpc_id or more specific tags")
    vpc = vpcs[0]
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = _paginate(ec2, "describe_subnets", "Subnets", vpc_filter)
    tables = _paginate(ec2, "describe_route_tables", "RouteTables", vpc_filter)
    main_public = False
    explicit: dict[str, bool] = {}
    for table in tables:
        public = any(
            route.get("DestinationCidrBlock") == "0.0.0.0/0" and str(route.get("GatewayId", "")).startswith("igw-")
            for route in table.get("Routes", [])
        )
        for assoc in table.get("Associations", []):
            if assoc.get("Main"):
                main_public = public
            elif assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = public
    # Public: its route table (explicit, else the VPC main table) sends 0.0.0.0/0 to an internet gateway.
    # A default subnet is public by definition, whatever the tables say.
    resolved = tuple(
        sorted(
            (
                Subnet(
                    s["SubnetId"],
                    s["AvailabilityZone"],
                    s["CidrBlock"],
                    bool(s.get("DefaultForAz")) or explicit.get(s["SubnetId"], main_public),
                )
                for s in subnets
            ),
            key=lambda s: (s.az, s.id),
        )
    )
    return ResolvedVpc(vpc["VpcId"], vpc["CidrBlock"], resolved)


def _paginate(ec2: Any, operation: str, key: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in ec2.get_paginator(operation).paginate(Filters=filters):
        items.extend(page[key])
    return items


def _read_cache(path: Path, project_dir: Path) -> tuple[dict[str, Any], ResolvedVpc] | None:
    rel = path.relative_to(project_dir).as_posix()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return None
        vpc = data["vpc"]
        subnets = tuple(Subnet(**s) for s in data["subnets"])
        return data["query"], ResolvedVpc(vpc["id"], vpc["cidr"], subnets)
    except (ValueError, KeyError, TypeError) as exc:
        raise LookupFailed(
            f"{rel}: the lookup cache is damaged ({exc}); delete it and run synth with --refresh-lookups"
        ) from exc


def cache_text(query: dict[str, Any], vpc: ResolvedVpc) -> str:
    data = {
        "version": CACHE_VERSION,
        "query": query,
        "vpc": {"id": vpc.vpc_id, "cidr": vpc.cidr},
        "subnets": [asdict(s) for s in vpc.subnets],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
