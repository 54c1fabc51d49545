"""Where each service lives when an environment outgrows one template or one load balancer: its compute
shard (compute.yaml, compute-2.yaml, ...), its ALB, and its API route shard (api.yaml, api-routes-2.yaml, ...).

Placement is stable: a service keeps its place for as long as it is enabled, because moving it to another
stack would replace its resources (and, for API routes, fail on the duplicate path). New services go to
the lowest-numbered place with room. The result is kept in `services/environments/<env>.placement.json`
(commit it, like the lookup cache); without the file, placement starts from scratch in name order.
Only `pipeline.Synthesis.write()` writes that file, together with the build.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from template_gen.errors import LookupFailed


class Load(Protocol):
    def __add__(self, other: Self) -> Self: ...

    def fits(self, capacity: Self) -> bool: ...


L = TypeVar("L", bound=Load)

FILE_VERSION = 1
PLACEMENT_DIR = "services/environments"


@dataclass(frozen=True)
class Placement:
    compute: Mapping[str, int] = field(default_factory=dict)  # service -> compute shard
    albs: Mapping[str, int] = field(default_factory=dict)  # ECS service -> ALB
    routes: Mapping[str, int] = field(default_factory=dict)  # first path segment -> API route shard
    # What the deployed environment holds that the registry alone does not say (None: a file written before
    # it was tracked). See `deploy_state`.
    repositories: frozenset[str] | None = None  # ECS services whose ECR repository the stack creates
    retained_repositories: frozenset[str] = frozenset()  # repositories kept after their service left
    released: Mapping[str, str] | None = None  # ECS service -> the image tag of its first release
    # API -> path -> logical ID fragment of its resource (see route_ids: recorded so that it never changes)
    resources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # ECS service -> the KMS key its ECR repository was created with (absent: AES-256); fixed at creation
    repository_keys: Mapping[str, str] = field(default_factory=dict)
    # API with a stage cache now or before -> (resource path, method) of every method cached now or before
    # that its routes still serve (see deploy_state: turning caching off must say so explicitly)
    stage_caches: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    def resource_fragment(self, api: str, path: str) -> str | None:
        return self.resources.get(api, {}).get(path)

    # Anything not placed (yet) lives in the first compute shard, ALB and route stack.
    def compute_shard_of(self, service: str) -> int:
        return self.compute.get(service, 1)

    def alb_of(self, service: str) -> int:
        return self.albs.get(service, 1)

    def route_shard_of(self, group: str) -> int:
        return self.routes.get(group, 1)

    @property
    def compute_shards(self) -> list[int]:
        return sorted({1, *self.compute.values()})

    @property
    def alb_count(self) -> int:
        return max(self.albs.values(), default=1)

    @property
    def route_shards(self) -> list[int]:
        return sorted({1, *self.routes.values()})

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "version": FILE_VERSION,
            "compute": dict(sorted(self.compute.items())),
            "albs": dict(sorted(self.albs.items())),
            "api_routes": dict(sorted(self.routes.items())),
        }
        if self.repositories is not None:
            data["ecr_repositories"] = sorted(self.repositories)
        if self.retained_repositories:
            data["retained_ecr_repositories"] = sorted(self.retained_repositories)
        if self.repository_keys:
            data["ecr_repository_keys"] = dict(sorted(self.repository_keys.items()))
        if self.released is not None:
            data["first_releases"] = dict(sorted(self.released.items()))
        if any(self.resources.values()):
            data["api_resources"] = {
                api: dict(sorted(ids.items())) for api, ids in sorted(self.resources.items()) if ids
            }
        if self.stage_caches:
            data["stage_caches"] = {
                api: sorted(f"{verb} {path}" for path, verb in methods)
                for api, methods in sorted(self.stage_caches.items())
            }
        return json.dumps(data, indent=2) + "\n"


def place(
    items: Iterable[tuple[str, L]],
    previous: Mapping[str, int],
    capacity: L,
    base: Mapping[int, L] | None = None,
) -> dict[str, int]:
    """Keep every previous assignment; put each new item (in name order) in the lowest place with room.
    A load is any value with `+` and `fits` (a template's Cost, an ALB's AlbLoad)."""
    empty: L = type(capacity)()
    load: dict[int, L] = dict(base or {})
    items = sorted(items, key=lambda item: item[0])
    result: dict[str, int] = {}
    for name, cost in items:
        if name in previous:
            slot = previous[name]
            result[name] = slot
            load[slot] = load.get(slot, empty) + cost
    for name, cost in items:
        if name in result:
            continue
        slot = 1
        while not (load.get(slot, empty) + cost).fits(capacity) and load.get(slot, empty) != empty:
            slot += 1  # an empty place always takes the item, even one larger than the capacity
        result[name] = slot
        load[slot] = load.get(slot, empty) + cost
    return result


def relative_path(env_name: str) -> str:
    return f"{PLACEMENT_DIR}/{env_name}.placement.json"


def path(project_dir: Path, env_name: str) -> Path:
    return project_dir / relative_path(env_name)


def read(project_dir: Path, env_name: str) -> Placement:
    file = path(project_dir, env_name)
    if not file.is_file():
        return Placement()
    rel = file.relative_to(project_dir).as_posix()
    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
        if data.get("version") != FILE_VERSION:
            raise ValueError(f"version {data.get('version')!r} is not {FILE_VERSION}")
        maps = [{str(k): int(v) for k, v in data[key].items()} for key in ("compute", "albs", "api_routes")]
        if any(v < 1 for m in maps for v in m.values()):
            raise ValueError("places are numbered from 1")
        repositories = _names(data, "ecr_repositories")
        retained = _names(data, "retained_ecr_repositories") or frozenset()
        released = data.get("first_releases")
        if released is not None:
            released = {str(k): str(v) for k, v in released.items()}
        resources = {
            str(api): {str(k): str(v) for k, v in ids.items()} for api, ids in data.get("api_resources", {}).items()
        }
        keys = {str(k): str(v) for k, v in data.get("ecr_repository_keys", {}).items()}
        caches = {
            str(api): frozenset(_method(m) for m in methods) for api, methods in data.get("stage_caches", {}).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LookupFailed(
            f"{rel}: the placement file is damaged ({exc}); restore it from version control (deleting it "
            "re-places services from scratch, which can move them between stacks)"
        ) from exc
    compute, albs, routes = maps
    return Placement(compute, albs, routes, repositories, retained, released, resources, keys, caches)


def _method(text: Any) -> tuple[str, str]:
    """("/quoting/rates", "GET") from "GET /quoting/rates"."""
    verb, _, path = str(text).partition(" ")
    if not verb or not path.startswith("/"):
        raise ValueError(f"stage_caches: {text!r} is not 'METHOD /path'")
    return path, verb


def _names(data: Any, key: str) -> frozenset[str] | None:
    """An optional list of names (absent in files written before the key existed)."""
    if key not in data:
        return None
    if not isinstance(data[key], list):
        raise ValueError(f"{key} is not a list")
    return frozenset(str(name) for name in data[key])
