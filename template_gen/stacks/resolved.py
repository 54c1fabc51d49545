"""What a stack's parameter values are made of, across stacks, as one digest.

A REST API deployment is a snapshot: when a route stack's parameter value changes (the VPC link id, the
NLB's DNS name, a function ARN), the methods are updated but the stage keeps serving the old snapshot
until a new deployment is made. The values are only known at deploy time, but what determines them is
known at synth time. An id, ARN or DNS name changes only when its resource is replaced, and a resource is
replaced only when one of its create-only properties changes (from the resource schemas cfn-lint ships).
So the digest covers, for each output behind a parameter, the create-only property values of the
resources it names, and what those values name in turn, followed from stack to stack down to literals.
A deployment whose logical ID includes the digest is re-created whenever one of them changes. A type
without a schema counts with all its properties (an unneeded deployment costs a few seconds, a missing one
serves stale integrations).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from template_gen.encode import plain
from template_gen.review.schemas import SAM_RESOURCES, create_only
from template_gen.stacks.common import ParameterValue, Stage, StageOutput

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


@dataclass(frozen=True)
class StackValues:
    """What the digest reads of one stack: plain data, so a stack built in another process (`synth --jobs`)
    sends this back instead of its template. Only what its outputs can reach is kept."""

    outputs: Mapping[str, Any]  # output -> its Value
    resources: Mapping[str, Any]  # logical ID -> its identity: type and create-only property values
    parameters: Mapping[str, Any]  # parameter -> the value fed to it (a literal, another stage's output) or its default


def stack_values(
    template: Mapping[str, Any], parameter_values: Mapping[str, ParameterValue], region: str
) -> StackValues:
    """The values of a rendered template (`encode.template_dict`) fed `parameter_values` by the root."""
    resources, parameters = template.get("Resources", {}), template.get("Parameters", {})
    return _reachable(
        {name: output["Value"] for name, output in template.get("Outputs", {}).items()},
        lambda name: resources.get(name),
        lambda name: parameters[name].get("Default") if name in parameters else _ABSENT,
        parameter_values,
        region,
    )


def stage_values(stage: Stage, region: str) -> StackValues:
    """`stack_values` of a built stage, encoding only what its outputs reach."""
    template = stage.template

    def resource(name: str) -> Any:
        return plain(template.resources[name]) if name in template.resources else None

    def default(name: str) -> Any:
        return plain(template.parameters[name]).get("Default") if name in template.parameters else _ABSENT

    outputs = {name: plain(output)["Value"] for name, output in template.outputs.items()}
    return _reachable(outputs, resource, default, stage.parameter_values, region)


_ABSENT = object()


def _reachable(
    outputs: Mapping[str, Any],
    resource: Callable[[str], Any],
    default: Callable[[str], Any],
    parameter_values: Mapping[str, ParameterValue],
    region: str,
) -> StackValues:
    identities: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    pending = [name for expression in outputs.values() for name in _names(expression)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        definition = resource(name)
        if definition is not None:
            identities[name] = _identity(definition, region)
            pending.extend(_names(identities[name]))
            continue
        fallback = default(name)
        if fallback is not _ABSENT:
            parameters[name] = parameter_values.get(name, fallback)
        # else a pseudo parameter: the same for every deployment of the stack
    return StackValues(outputs, identities, parameters)


def digest(stages: Iterable[Stage], values: Mapping[str, StackValues]) -> str:
    """A digest of the values fed to the parameters of `stages` (every stack they come from is in `values`)."""
    walker = _Walker(values)
    parts = []
    for stage in stages:
        for name, value in sorted(stage.parameter_values.items()):
            parts.append([stage.key, name, walker.value(value)])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Walker:
    def __init__(self, values: Mapping[str, StackValues]):
        self.values = values
        self.seen: dict[tuple[str, str], Any] = {}

    def value(self, value: Any) -> Any:
        """A literal as it is; another stage's output as everything its value is made of."""
        if not isinstance(value, StageOutput):
            return value
        expression = self.values[value.stage].outputs[value.output]
        return [value.stage, expression, self._inputs(value.stage, expression)]

    def _inputs(self, key: str, expression: Any) -> list[Any]:
        out = []
        for name in sorted(set(_names(expression))):
            if (key, name) not in self.seen:
                self.seen[key, name] = None  # cycles cannot occur in a valid template; this only guards the walk
                self.seen[key, name] = self._name(key, name)
            out.append([name, self.seen[key, name]])
        return out

    def _name(self, key: str, name: str) -> Any:
        stack = self.values[key]
        if name in stack.resources:
            identity = stack.resources[name]
            return [identity, self._inputs(key, identity)]
        if name in stack.parameters:
            return self.value(stack.parameters[name])
        return None  # a pseudo parameter: the same for every deployment of the stack


def _identity(definition: Mapping[str, Any], region: str) -> list[Any]:
    """The resource's type and the property values whose change replaces it."""
    type_, properties = definition["Type"], definition.get("Properties", {})
    cfn_type, renamed = SAM_RESOURCES.get(type_, (type_, {}))
    properties = {renamed.get(k, k): v for k, v in properties.items()}
    info = create_only(cfn_type, region)
    if info is None:
        return [type_, properties]
    pointers = sorted({*info.always, *info.conditional})
    return [type_, [[list(p), _select(properties, p)] for p in pointers]]


def _select(value: Any, pointer: Sequence[str]) -> list[Any]:
    """The values at `pointer` ("*": every list item); an intrinsic function stands for its whole subtree."""
    if not pointer or _intrinsic(value):
        return [value]
    head, rest = pointer[0], pointer[1:]
    if head == "*":
        return [v for item in value for v in _select(item, rest)] if isinstance(value, list) else []
    if isinstance(value, Mapping) and head in value:
        return _select(value[head], rest)
    return []


def _intrinsic(value: Any) -> bool:
    if not (isinstance(value, Mapping) and len(value) == 1):
        return False
    key = next(iter(value))
    return key == "Ref" or str(key).startswith("Fn::")


def _names(node: Any) -> Iterator[str]:
    """Every logical ID or parameter an expression refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    if isinstance(node, Mapping):
        for key, item in node.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt":
                yield (item[0] if isinstance(item, list) else str(item).split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (item[0], item[1]) if isinstance(item, list) else (item, {})
                yield from (n for n in _SUB_NAME.findall(text) if n not in variables)
                yield from _names(variables)
            else:
                yield from _names(item)
    elif isinstance(node, list):
        for item in node:
            yield from _names(item)
