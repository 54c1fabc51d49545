"""The layout of an environment: placement (compute shard, ALB, API route shard of everything) and the
first-deploy waves, planned from the previous placement and the costs the builders report."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from template_gen import route_ids, route_table
from template_gen.layout import deploy_state
from template_gen.layout import waves as waves_
from template_gen.layout.capacity import ALB_CAPACITY, SHARD_CAPACITY, SHARD_LOAD_CAPACITY, AlbLoad, max_targets
from template_gen.layout.costs import Costs
from template_gen.layout.placement import Placement, place
from template_gen.route_table import ADMIN, RouteEntry
from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks.common import RenderContext

PLACES = {"compute": "compute shard", "alb": "ALB", "api_routes": "API route shard"}
SUMMARY_NAMES = 8  # names per group in synth's placement note


@dataclass(frozen=True)
class Change:
    """One thing placed somewhere new by this synth: a service or a route group."""

    what: str  # compute | alb | api_routes
    name: str
    place: int

    @property
    def where(self) -> str:
        return f"{PLACES[self.what]} {self.place}"

    @property
    def subject(self) -> str:
        return f"/{self.name}" if self.what == "api_routes" else self.name

    def describe(self) -> str:
        return f"{'routes ' if self.what == 'api_routes' else ''}{self.subject} -> {self.where}"


@dataclass(frozen=True)
class Layout:
    previous: Placement  # as read from the placement file
    placement: Placement
    waves: tuple[tuple[int, ...], ...]  # compute shards per first-deploy wave
    notes: tuple[str, ...] = ()  # what synth tells the user about the deployment state it tracks

    @property
    def changes(self) -> list[Change]:
        """What was placed (or moved, never by the planner itself) compared to the placement file."""
        out = []
        for what, new, old in (
            ("compute", self.placement.compute, self.previous.compute),
            ("alb", self.placement.albs, self.previous.albs),
            ("api_routes", self.placement.routes, self.previous.routes),
        ):
            out += [Change(what, name, slot) for name, slot in sorted(new.items()) if old.get(name) != slot]
        return out

    def summary(self) -> str:
        """The changes grouped by place: `compute shard 2: a, b; ALB 1: a, b; API route shard 1: /a`, at most
        a few names per group (a first synth of a large platform places hundreds)."""
        groups: dict[str, list[str]] = defaultdict(list)
        for change in self.changes:
            groups[change.where].append(change.subject)
        if self.removed:
            groups["removed"] = [name.removeprefix("routes ") for name in self.removed]
        old, new = self.previous, self.placement
        for label, before, after in (
            ("ECR repositories the stack creates", old.repositories, new.repositories),
            ("ECR repositories kept from earlier deployments", old.retained_repositories, new.retained_repositories),
            ("first releases", set(old.released or {}), set(new.released or {})),
            ("ECR repositories encrypted with the KMS key", set(old.repository_keys), set(new.repository_keys)),
        ):
            added = sorted(set(after or ()) - set(before or ()))
            if added:
                groups[label] = added
        parts = [f"{label}: {_some(names)}" for label, names in groups.items()]
        if self.placement.resources != self.previous.resources:
            parts.append("API resource IDs recorded")  # the IDs of new or removed paths
        if self.placement.stage_caches != self.previous.stage_caches:
            parts.append("stage caches and cached methods recorded")  # what turning caching off must say
        return "; ".join(parts) or "its format"

    @property
    def removed(self) -> list[str]:
        """Services and route groups the placement file knows and this environment no longer has."""
        gone = set(self.previous.compute) - set(self.placement.compute)
        gone |= {f"routes /{g}" for g in set(self.previous.routes) - set(self.placement.routes)}
        return sorted(gone)

    @property
    def changed(self) -> bool:
        return self.placement.to_json() != self.previous.to_json()

    def apply(self, spec: EnvironmentSpec) -> EnvironmentSpec:
        return dataclasses.replace(spec, placement=self.placement, warnings=spec.warnings + self.notes)


def alb_load(svc: EcsServiceSpec) -> AlbLoad:
    """One listener rule, and the most targets the service can register (1,000 per ALB is the quota)."""
    return AlbLoad(1, max_targets(svc.max_tasks, svc.deployment.maximum_percent))


def _some(names: list[str], shown: int = SUMMARY_NAMES) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def route_groups(routes: tuple[RouteEntry, ...]) -> dict[str, list[RouteEntry]]:
    groups: dict[str, list[RouteEntry]] = defaultdict(list)
    for route in routes:
        groups[route.group].append(route)
    return dict(groups)


def plan(spec: EnvironmentSpec, previous: Placement, ctx: RenderContext) -> Layout:
    costs = Costs(spec, ctx)
    compute = place(
        ((s.name, costs.service(s)) for s in spec.services),
        previous.compute,
        SHARD_LOAD_CAPACITY,
        {1: costs.shared_compute()},
    )
    albs = place(((s.name, alb_load(s)) for s in spec.ecs_services if s.behind_alb), previous.albs, ALB_CAPACITY)
    groups = route_groups(spec.routes)
    previous_routes: Mapping[str, int] = dict(previous.routes)
    admin = [r.group for r in spec.routes if r.name == ADMIN]
    if admin:  # the admin API is never moved out of api.yaml
        previous_routes = {**previous_routes, admin[0]: 1}
    routes = place(
        ((group, costs.route_group(members)) for group, members in groups.items()),
        previous_routes,
        SHARD_CAPACITY,
        {1: costs.api_core()},
    )
    # What deployments left behind (kept ECR repositories, first releases) rides along in the same file.
    planned = Placement(compute, albs, routes, resources=resource_ids(spec.routes, routes, previous))
    placement, notes = deploy_state.track(spec, previous, planned)
    placed = dataclasses.replace(spec, placement=placement)
    return Layout(previous, placement, waves_.plan(placed, costs, groups), notes)


def resource_ids(
    routes: tuple[RouteEntry, ...], shards: Mapping[str, int], previous: Placement
) -> dict[str, dict[str, str]]:
    """The logical ID fragment of every API resource, per API: recorded ones kept (see route_ids)."""
    out: dict[str, dict[str, str]] = {}
    for which in route_table.apis(routes):
        order = route_table.resource_order(route_table.on_api(routes, which))
        known = previous.resources.get(which, {})
        placed = [(path, shards.get(route_table.route_group(path), 1)) for path in order]
        out[which] = route_ids.assign(placed, known, known.values())
    return out
