"""What a service and an API route group cost in the stack they land in, measured from the builders.

Nothing here is kept by hand. A service's cost is the difference between a scratch compute shard holding
two services of its shape and one holding one: its marginal resources (after the SAM transform), outputs
and parameters. The same for an API route group in a scratch route shard. Adding a resource to every ECS
service in `stacks/ecs_service.py` changes the costs, and so the sharding, with no other edit.

Measurements are cached per *shape*: a spec with its identity (names, descriptions, tags, values of
environment variables and image tags, paths, health check paths, Service Connect names, the names of
secrets) replaced by fixed values, since those never decide how many resources a builder emits. A typical
registry has a handful of shapes, so the scratch builds cost a few milliseconds however many services
there are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from template_gen import naming, quotas
from template_gen.encode import plain
from template_gen.layout.capacity import Cost, ShardLoad
from template_gen.layout.placement import Placement
from template_gen.route_table import RouteEntry
from template_gen.spec import EcsServiceSpec, EnvironmentSpec, ServiceSpec
from template_gen.stacks import api, api_stage, compute, network, observability, service_security
from template_gen.stacks.common import RenderContext, Stage

PROBE_SHARD = 2  # scratch builds use a later shard: the first one also holds the environment's shared parts


API_OBJECT_TYPES = frozenset({"AWS::ApiGateway::Resource", "AWS::ApiGateway::Method"})
SAM_FUNCTION = "AWS::Serverless::Function"


def stage_cost(stage: Stage) -> Cost:
    """What a stage counts against the quotas. Only a SAM function's properties change the count (its event
    sources become resources of their own), so only those are encoded."""
    template = stage.template
    resources = {
        logical_id: plain(resource) if resource.resource_type == SAM_FUNCTION else {"Type": resource.resource_type}
        for logical_id, resource in template.resources.items()
    }
    return Cost(
        quotas.transformed_resource_count({"Resources": resources}),
        len(template.outputs),
        len(template.parameters),
        sum(1 for r in resources.values() if r["Type"] in API_OBJECT_TYPES),
    )


def _shape(svc: ServiceSpec) -> str:
    """The spec with everything that never changes a resource count replaced by fixed values."""
    common: dict[str, Any] = dict(
        name="shape",
        logical="Shape",
        file="",
        description="",
        tags=(),
        environment=(),
        secrets=_secrets(svc),
        calls=("shape",) * len(svc.calls),  # what the calls add is counted apart (Costs.calls)
    )
    if isinstance(svc, EcsServiceSpec):
        common.update(
            image_tag=None if svc.image_tag is None else "tag",
            priority=1,
            path_patterns=("/shape",) * len(svc.path_patterns),
            health_check=svc.health_check.model_copy(update={"path": "/shape"}),
            dns_name=svc.dns_name and "shape",
            api=svc.api.model_copy(
                update={"base_path": None if svc.api.base_path is None else "/shape", **_routes(svc)}
            ),
        )
    else:
        common.update(code_dir="", handler="", api=svc.api.model_copy(update={"base_path": None, **_routes(svc)}))
    return repr(dataclasses.replace(svc, **common))


def _secrets(svc: ServiceSpec) -> tuple[tuple[str, Any], ...]:
    """The secrets without their variable and parameter or secret names (only their kinds and keys count)."""
    return tuple(
        (
            f"S{i}",
            ref.model_copy(update={"ssm": ref.ssm and "shape", "secrets_manager": ref.secrets_manager and "shape"}),
        )
        for i, (_, ref) in enumerate(svc.secrets)
    )


def _routes(svc: ServiceSpec) -> dict[str, Any]:
    """`api.routes` without their paths (compute resources never depend on them)."""
    return {"routes": [r.model_copy(update={"path": "/shape"}) for r in svc.api.routes]}


def _renamed(svc: ServiceSpec, name: str) -> ServiceSpec:
    return dataclasses.replace(svc, name=name, logical=naming.logical_id(name))


class Costs:
    """Costs of one environment's services and route groups, measured once per shape."""

    def __init__(self, env: EnvironmentSpec, ctx: RenderContext) -> None:
        self.env, self.ctx = env, ctx
        self._services: dict[str, ShardLoad] = {}
        self._groups: dict[tuple[Any, ...], Cost] = {}
        self._shared: ShardLoad | None = None
        self._api_core: Cost | None = None
        self._edges: dict[str, list[tuple[ServiceSpec, EcsServiceSpec, int]]] | None = None
        self._calls: dict[tuple[str, bool], Cost] = {}
        self._by_name: dict[str, tuple[ServiceSpec, ShardLoad]] = {}

    # ------------------------------------------------------------------ compute
    def service(self, svc: ServiceSpec) -> ShardLoad:
        """What `svc` adds to the compute shard it lands in, and to the observability stack watching it."""
        known = self._by_name.get(svc.name)
        if known is None or known[0] is not svc:  # placement and waves both ask; the shape is worked out once
            known = self._by_name[svc.name] = (svc, self._service(svc))
        return known[1]

    def _service(self, svc: ServiceSpec) -> ShardLoad:
        obs = self.env.observability
        alarms = obs.ecs_alarms(svc.name) if isinstance(svc, EcsServiceSpec) else obs.lambda_alarms(svc.name)
        key = f"{_shape(svc)} alarms={alarms!r}"
        if key not in self._services:
            a, b = _renamed(svc, "probe-a"), _renamed(svc, "probe-b")
            self._services[key] = self._compute_probe((a, b), svc.name) - self._compute_probe((a,), svc.name)
        extra = self.extra_resources(svc.name)
        return self._services[key] + ShardLoad(compute=extra + self.calls(svc))

    def extra_resources(self, service: str | None, stage: str | None = None) -> Cost:
        """The raw resources an escape hatch adds (a service's, or a stack's in the registry), counted as
        CloudFormation counts them; they are added after building, so the probes do not see them."""
        resources = {
            e.logical_id: e.resource for e in self.env.escape_hatches.extras if (e.service, e.stage) == (service, stage)
        }
        return Cost(quotas.transformed_resource_count({"Resources": resources})) if resources else Cost()

    def _compute_probe(self, services: Sequence[ServiceSpec], like: str | Mapping[str, str]) -> ShardLoad:
        """Scratch compute and observability stacks holding `services`, each alarmed like service `like` (or
        like the service `like` maps its name to)."""
        obs = self.env.observability
        of = (lambda _: like) if isinstance(like, str) else like.__getitem__
        watched = dataclasses.replace(
            obs,
            ecs={s.name: obs.ecs[of(s.name)] for s in services if of(s.name) in obs.ecs},
            lambdas={s.name: obs.lambdas[of(s.name)] for s in services if of(s.name) in obs.lambdas},
        )
        placement = Placement(compute={s.name: PROBE_SHARD for s in services})
        env = dataclasses.replace(self.env.with_services(tuple(services)), placement=placement, observability=watched)
        stage = compute.ComputeStage(env, self.ctx, PROBE_SHARD).build()
        watching = observability.ObservabilityStage(env, [stage], PROBE_SHARD).build()
        return ShardLoad(stage_cost(stage), stage_cost(watching))

    def calls(self, svc: ServiceSpec) -> Cost:
        """The security group rules of the calls `svc` makes and takes (`calls:`). A call's rules land in the
        shard of whichever of the two services is placed in the later shard, which is not known before both
        are placed, so each call is counted on both sides: a shard never gets more than it has room for."""
        if self._edges is None:
            self._edges = {}
            for edge in service_security.edges(self.env):
                for name in {edge[0].name, edge[1].name}:
                    self._edges.setdefault(name, []).append(edge)
        total = Cost()
        for caller, callee, _ in self._edges.get(svc.name, ()):
            total += self._call(caller, callee)
        return total

    def _call(self, caller: ServiceSpec, callee: ServiceSpec) -> Cost:
        """What one call from `caller` to `callee` adds (its ingress rule, and an egress rule when the
        caller's egress is restricted), measured once per kind of caller."""
        key = (type(caller).__name__, getattr(caller, "egress_restricted", False))
        if key not in self._calls:
            a, b = _renamed(caller, "probe-a"), _renamed(callee, "probe-b")
            like = {"probe-a": caller.name, "probe-b": callee.name}
            calling = self._compute_probe((dataclasses.replace(a, calls=("probe-b",)), b), like)
            silent = self._compute_probe((dataclasses.replace(a, calls=()), b), like)
            self._calls[key] = (calling - silent).compute
        return self._calls[key]

    def shared_compute(self) -> ShardLoad:
        """What the first compute shard (and its observability stack) holds besides services: the cluster,
        tables, platform functions; the alarm topic, the gateway and load balancer alarms, dashboards."""
        if self._shared is None:
            # Every service elsewhere: what the first shard still holds depends on them (the catalog layer
            # when there are Lambda services, the ECS Exec log group), but is not theirs.
            placement = Placement(
                compute={s.name: PROBE_SHARD for s in self.env.services},
                routes={r.group: PROBE_SHARD for r in self.env.routes},
            )
            env = dataclasses.replace(self.env, placement=placement)
            first = compute.ComputeStage(env, self.ctx, 1).build()
            stages = [network.build(env), first]
            apis = api.ApiStages(env)
            if apis.routes:  # the API core and stage, which the gateway alarms watch; the routes are elsewhere
                stages += [apis.route_stack(1), api_stage.build(env, list(apis.cores.values()), ["api"])]
            watching = observability.ObservabilityStage(env, stages, 1).build()
            extra = self.extra_resources(None, "compute")
            self._shared = ShardLoad(stage_cost(first) + extra, stage_cost(watching))
        return self._shared

    # ------------------------------------------------------------------ API routes
    def route_group(self, routes: Sequence[RouteEntry]) -> Cost:
        """What a group of routes (one first path segment) adds to the route shard it lands in."""
        key = _group_shape(routes)
        if key not in self._groups:
            a, b = _regrouped(routes, "probe-a"), _regrouped(routes, "probe-b")
            self._groups[key] = self._route_probe(a + b) - self._route_probe(a)
        return self._groups[key]

    def _route_probe(self, routes: Sequence[RouteEntry]) -> Cost:
        placement = Placement(routes={r.group: PROBE_SHARD for r in routes})
        env = dataclasses.replace(self.env, routes=tuple(routes), placement=placement)
        return stage_cost(api.ApiStages(env).route_stack(PROBE_SHARD))

    def api_core(self) -> Cost:
        """What api.yaml holds besides routes: the APIs, authorizers, gateway responses."""
        if self._api_core is None:
            stages = api.ApiStages(self.env)
            if not stages.routes:
                self._api_core = Cost()
            else:
                # Every route elsewhere: what is left in the first shard is the core.
                placement = Placement(routes={r.group: PROBE_SHARD for r in self.env.routes})
                stages.env = dataclasses.replace(self.env, placement=placement)
                self._api_core = stage_cost(stages.route_stack(1))
        return self._api_core

    def api_stage(self) -> Cost:
        """api-stage.yaml: deployments and stages, usage plans, the domain."""
        stages = api.ApiStages(self.env)
        return stage_cost(api_stage.build(self.env, list(stages.cores.values()), ["api"])) if stages.routes else Cost()

    def network(self, placed: EnvironmentSpec) -> Cost:
        return stage_cost(network.build(placed))


def _group_shape(routes: Sequence[RouteEntry]) -> tuple[Any, ...]:
    return tuple(_regrouped(routes, "shape"))


def _regrouped(routes: Sequence[RouteEntry], group: str) -> list[RouteEntry]:
    """The routes moved under a first path segment of `group`, every other segment renamed in order of
    appearance, so two groups of the same structure look alike. Service names follow the group."""
    segments: dict[str, str] = {}
    names: dict[str, str] = {}

    def segment(part: str) -> str:
        return segments.setdefault(part, f"s{len(segments)}")

    out = []
    for route in routes:
        parts = route.base_path.strip("/").split("/")
        path = "/" + "/".join([group, *(segment(p) for p in parts[1:])])
        name = names.setdefault(route.name, f"{group}-{len(names)}")  # the admin route too: same resources
        out.append(dataclasses.replace(route, name=name, base_path=path))
    return out
