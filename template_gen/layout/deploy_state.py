"""What an environment's deployments leave behind that its registry alone does not say, kept in the
placement file beside where each service lives:

- ECR repositories are retained when their service leaves the environment (images outlive the stack).
  A service that comes back must reference its retained repository: creating it again fails with
  "already exists".
- An ECR repository keeps the encryption it was created with: EncryptionConfiguration is create-only, and
  a named repository cannot be replaced (CloudFormation creates the new one first, whose name is taken).
  A repository created while the environment has `security.kms_key_arn` is recorded with that key; one
  created before keeps AES-256 (docs/security.md, moving a repository to the key).
- The first release of an autoscaled service (its image tag set for the first time) sets DesiredCount to
  the autoscaling minimum, so its tasks start inside the deployment, under the circuit breaker, instead of
  after CloudFormation reported success. Later releases leave DesiredCount out, so a deploy never resets
  the count autoscaling chose.
- CloudFormation does not reset a stage property or method setting that disappears from the template
  (cloudformation-coverage-roadmap#2231): a cache cluster removed from the template stays, and so does
  caching on a method whose setting is gone, while the method's cache keys (the caller's identity) are
  removed, so callers would share answers. So every API that has or had a stage cache is recorded with the
  methods cached now or before; its stage says `CacheClusterEnabled: false` once the cluster is gone, and
  each of those methods keeps a setting that says `CachingEnabled: false` (stacks/stage_cache.py).
"""

from __future__ import annotations

import dataclasses

from template_gen import naming, route_table
from template_gen.layout.placement import Placement
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import stage_cache


def track(env: EnvironmentSpec, previous: Placement, planned: Placement) -> tuple[Placement, tuple[str, ...]]:
    """`planned` (where services live) with the repositories and first releases after this synthesis, and
    what synth should tell the user about them."""
    ecs = {s.name: s for s in env.ecs_services}
    own = {name for name, s in ecs.items() if s.image_repository is None}
    # A file written before repositories were tracked knows only the ECS services placed then.
    owned_before = previous.repositories if previous.repositories is not None else own & set(previous.albs)
    retained = frozenset(previous.retained_repositories | (owned_before - own))
    repositories = frozenset(own - retained)

    if previous.released is not None:
        released = {name: tag for name, tag in previous.released.items() if name in ecs}
    elif previous.compute:  # written before releases were tracked: what runs now was released before
        released = {name: "" for name, s in ecs.items() if s.image_tag is not None}
    else:  # a new environment: every tagged service is released for the first time
        released = {}
    for name, svc in sorted(ecs.items()):
        if svc.image_tag is not None and name not in released:
            released[name] = svc.image_tag

    key = env.security.kms_key_arn
    # A file written before repositories were tracked: every service placed then already had its repository
    # (workers too, which have no ALB), so none of them may change encryption.
    created_before = owned_before if previous.repositories is not None else own & set(previous.compute)
    existed = created_before | retained
    keys = {name: k for name, k in previous.repository_keys.items() if name in own | retained}
    keys.update({name: key for name in own - existed if key})

    notes = []
    for name in sorted(own & existed):
        if key and keys.get(name) != key:
            now = f"with the key {keys[name]}" if name in keys else "with AES-256"
            notes.append(
                f"service '{name}' keeps its ECR repository encrypted {now}, not with security.kms_key_arn: a "
                "repository's encryption is fixed when it is created (docs/security.md, moving a repository to the key)"
            )
    for name in sorted(own & retained):
        notes.append(
            f"service '{name}' uses its ECR repository retained from an earlier deployment "
            f"({naming.ecr_repository_name(env.platform, env.name, name)}); the stack references it instead of "
            "creating it"
        )
    placement = dataclasses.replace(
        planned,
        repositories=repositories,
        retained_repositories=retained,
        released=released,
        repository_keys=keys,
        stage_caches=stage_caches(env, previous),
    )
    return placement, tuple(notes)


def stage_caches(env: EnvironmentSpec, previous: Placement) -> dict[str, frozenset[tuple[str, str]]]:
    """Per API with a stage cache now or before: the methods cached now or before that its routes still
    serve (a method setting must name a method that exists)."""
    out = {}
    for which in route_table.apis(env.routes):
        if which not in previous.stage_caches and stage_cache.cluster_size(env.api, which) is None:
            continue
        served = {(path, verb) for route in route_table.on_api(env.routes, which) for path in route.paths
                  for verb in route.methods}  # fmt: skip
        out[which] = frozenset((previous.stage_caches.get(which, frozenset()) | _cached_now(env, which)) & served)
    return out


def formerly_cached(env: EnvironmentSpec, which: str) -> tuple[tuple[str, str], ...]:
    """The API's methods cached before and not now, which must say so (`CachingEnabled: false`)."""
    return tuple(sorted(env.placement.stage_caches.get(which, frozenset()) - _cached_now(env, which)))


def _cached_now(env: EnvironmentSpec, which: str) -> set[tuple[str, str]]:
    return {(path, verb) for path, verb, _ in stage_cache.cached_methods(route_table.on_api(env.routes, which))}


def first_release(env: EnvironmentSpec, service: str, image_tag: str | None) -> bool:
    """True while the service's template is the one of its first release (its first image tag)."""
    released = env.placement.released
    return image_tag is not None and released is not None and released.get(service) == image_tag


def repository_key(env: EnvironmentSpec, service: str) -> str | None:
    """The KMS key the service's ECR repository was created with (None: AES-256)."""
    return env.placement.repository_keys.get(service)


def references_retained_repository(env: EnvironmentSpec, service: str) -> bool:
    return service in env.placement.retained_repositories
