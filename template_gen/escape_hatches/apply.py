"""Apply the escape hatches to an environment's built templates (as dicts, before rendering), then check
what they touched with cfn-lint. Every problem names the file and field of the hatch at fault; nothing is
written when there is one. Extra resources are applied before the count of resources per template, so
the quota check counts them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from template_gen.errors import Problem, RegistryError
from template_gen.escape_hatches.spec import EscapeHatches, Extra, Override
from template_gen.registry.pydantic_errors import did_you_mean
from template_gen.render import to_yaml
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import compute

Templates = Mapping[str, dict[str, Any]]  # stage key -> template


class _PathError(Exception):
    pass


def apply(
    hatches: EscapeHatches,
    templates: Templates,
    file_names: Mapping[str, str],
    services: Mapping[str, str],
    env_name: str,
    region: str,
) -> None:
    """`services`: each service in the build -> the compute stack that holds it (other services' hatches
    are skipped, as in a deployment wave)."""
    if not hatches:
        return
    problems: list[Problem] = []
    # stage -> logical ID -> (path under Properties, hatch): where to blame a lint match
    touched: dict[str, dict[str, list[tuple[tuple[str, ...], Problem]]]] = {}
    for extra in hatches.extras:
        if extra.service is not None and extra.service not in services:
            continue
        stage = extra.stage or services[extra.service or ""]
        problem = _add_extra(extra, stage, templates, env_name)
        if problem:
            problems.append(problem)
        else:
            touched.setdefault(stage, {})[extra.logical_id] = [((), Problem(extra.file, extra.field, ""))]
    for override in hatches.overrides:
        if override.service is not None and override.service not in services:
            continue
        stage_or_problem = _stage_of(override, templates, file_names, env_name)
        if isinstance(stage_or_problem, Problem):
            problems.append(stage_or_problem)
            continue
        problem = _patch(override, templates[stage_or_problem], file_names[stage_or_problem])
        if problem:
            problems.append(problem)
        else:
            touched.setdefault(stage_or_problem, {}).setdefault(override.resource, []).append(
                (override.path, Problem(override.file, override.field, ""))
            )
    if not problems:
        problems = _lint(templates, file_names, touched, region)
    if problems:
        raise RegistryError(problems)


def _stages(templates: Templates) -> str:
    return ", ".join(sorted(templates))


def _add_extra(extra: Extra, stage: str, templates: Templates, env_name: str) -> Problem | None:
    if stage not in templates:
        return Problem(
            extra.file, extra.field, f"no stack '{stage}' in environment '{env_name}' (stacks: {_stages(templates)})"
        )
    resources = templates[stage].setdefault("Resources", {})
    if extra.logical_id in resources:
        return Problem(
            extra.file,
            extra.field,
            f"{extra.logical_id} is already a generated resource of stack '{stage}'",
            "choose another logical ID, or patch the generated resource with overrides:",
        )
    resources[extra.logical_id] = extra.resource
    return None


def _stage_of(override: Override, templates: Templates, file_names: Mapping[str, str], env_name: str) -> str | Problem:
    if override.stage is not None:
        if override.stage not in templates:
            field = override.field if override.service is None else f"{override.field}.stage"
            return Problem(
                override.file, field, f"no stack '{override.stage}' in environment '{env_name}' "
                f"(stacks: {_stages(templates)})"
            )  # fmt: skip
        if override.resource in templates[override.stage].get("Resources", {}):
            return override.stage
        where = f"stack '{override.stage}' ({file_names[override.stage]})"
    else:
        holders = sorted(key for key, t in templates.items() if override.resource in t.get("Resources", {}))
        if len(holders) == 1:
            return holders[0]
        if holders:
            return Problem(
                override.file,
                f"{override.field}.resource",
                f"{override.resource} is in several stacks ({', '.join(holders)})",
                "set stage: to the one to patch",
            )
        where = f"any stack of environment '{env_name}'"
    known = [lid for key, t in templates.items() if override.stage in (None, key) for lid in t.get("Resources", {})]
    return Problem(
        override.file,
        f"{override.field}.resource",
        f"no resource {override.resource} in {where}",
        did_you_mean(override.resource, known)
        or f"the logical IDs are those of build/{env_name}/*.yaml (template-gen synth --env {env_name})",
    )


def _patch(override: Override, template: dict[str, Any], file_name: str) -> Problem | None:
    resource = template["Resources"][override.resource]
    properties = resource.setdefault("Properties", {}) if override.op == "add" else resource.get("Properties", {})
    try:
        _apply_op(properties, override.op, list(override.path), override.value if override.op != "remove" else None)
    except _PathError as exc:
        return Problem(override.file, f"{override.field}.path", f"{exc} in {override.resource} ({file_name})")
    return None


def _apply_op(node: Any, op: str, path: list[str], value: Any) -> None:
    """Walk `path` from the resource's Properties and add, replace or remove at its end."""
    walked: list[str] = []
    for part in path[:-1]:
        walked.append(part)
        child = _child(node, part)
        if child is _MISSING:
            if op != "add" or not isinstance(node, dict):
                raise _PathError(f"{'.'.join(walked)} does not exist")
            child = node[part] = {}
        node = child
    last = path[-1]
    full = ".".join(path)
    if isinstance(node, dict):
        if op == "add":
            node[last] = value
        elif last not in node:
            raise _PathError(f"{full} does not exist")
        elif op == "replace":
            node[last] = value
        else:
            del node[last]
        return
    if isinstance(node, list):
        if op == "add" and last == "-":
            node.append(value)
            return
        if not last.isdigit():
            raise _PathError(f"{full}: '{last}' is not an index of a list of {len(node)} items")
        index = int(last)
        if op == "add" and index <= len(node):
            node.insert(index, value)
            return
        if index >= len(node):
            raise _PathError(f"{full} does not exist (the list has {len(node)} items)")
        if op == "replace":
            node[index] = value
        elif op == "remove":
            del node[index]
        return
    raise _PathError(f"{'.'.join(path[:-1])} is a value, not a mapping or a list, so {full} does not exist")


_MISSING = object()


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return _MISSING


def _lint(
    templates: Templates,
    file_names: Mapping[str, str],
    touched: Mapping[str, Mapping[str, list[tuple[tuple[str, ...], Problem]]]],
    region: str,
) -> list[Problem]:
    """cfn-lint over each stack a hatch touched; a match on a touched resource is that hatch's problem."""
    from cfnlint.api import ManualArgs, lint  # heavy, and needed only with escape hatches

    problems = []
    for stage, blamed in sorted(touched.items()):
        for match in lint(to_yaml(templates[stage]), config=ManualArgs(regions=[region])):
            path = list(getattr(match, "path", None) or [])
            if len(path) < 2 or path[0] != "Resources" or path[1] not in blamed:
                continue
            where = _blame(blamed[path[1]], [str(p) for p in path[3:]])
            at = ".".join(str(p) for p in path[2:])
            problems.append(
                Problem(
                    where.file,
                    where.path,
                    f"cfn-lint {match.rule.id} at {path[1]}{'.' + at if at else ''} ({file_names[stage]}): "
                    f"{match.message}",
                )
            )
    return problems


def apply_to(spec: EnvironmentSpec, templates: Templates, file_names: Mapping[str, str]) -> None:
    """The pipeline's step after building: the spec's hatches on its stacks."""
    shards = {s.name: compute.shard_stage(spec.placement.compute_shard_of(s.name))[0] for s in spec.services}
    apply(spec.escape_hatches, templates, file_names, shards, spec.name, spec.region)


def _blame(hatches: list[tuple[tuple[str, ...], Problem]], at: list[str]) -> Problem:
    """The last hatch whose path leads to (or under) where cfn-lint points, else the resource's last one."""
    for path, where in reversed(hatches):
        common = min(len(path), len(at))
        if list(path[:common]) == at[:common]:
            return where
    return hatches[-1][1]
