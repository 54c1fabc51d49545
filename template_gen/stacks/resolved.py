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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from template_gen.review.schemas import SAM_RESOURCES, create_only
from template_gen.stacks.common import Stage, StageOutput

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


def digest(stages: Iterable[Stage], known: Mapping[str, Stage], region: str) -> str:
    """A digest of the values fed to the parameters of `stages` (every stage they come from is in `known`)."""
    walker = _Walker(known, region)
    parts = []
    for stage in stages:
        for name, value in sorted(stage.parameter_values.items()):
            parts.append([stage.key, name, walker.value(value)])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Walker:
    def __init__(self, known: Mapping[str, Stage], region: str):
        self.known, self.region = known, region
        self.seen: dict[tuple[str, str], Any] = {}

    def value(self, value: Any) -> Any:
        """A literal as it is; another stage's output as everything its value is made of."""
        if not isinstance(value, StageOutput):
            return value
        stage = self.known[value.stage]
        expression = stage.template.outputs[value.output].to_dict()["Value"]
        return [value.stage, expression, self._inputs(stage, expression)]

    def _inputs(self, stage: Stage, expression: Any) -> list[Any]:
        out = []
        for name in sorted(set(_names(expression))):
            key = (stage.key, name)
            if key not in self.seen:
                self.seen[key] = None  # cycles cannot occur in a valid template; this only guards the walk
                self.seen[key] = self._name(stage, name)
            out.append([name, self.seen[key]])
        return out

    def _name(self, stage: Stage, name: str) -> Any:
        template = stage.template
        if name in template.resources:
            identity = self._identity(template.resources[name].to_dict())
            return [identity, self._inputs(stage, identity)]
        if name in template.parameters:
            return self.value(stage.parameter_values.get(name, template.parameters[name].to_dict().get("Default")))
        return None  # a pseudo parameter: the same for every deployment of the stack

    def _identity(self, definition: dict[str, Any]) -> list[Any]:
        """The resource's type and the property values whose change replaces it."""
        type_, properties = definition["Type"], definition.get("Properties", {})
        cfn_type, renamed = SAM_RESOURCES.get(type_, (type_, {}))
        properties = {renamed.get(k, k): v for k, v in properties.items()}
        info = create_only(cfn_type, self.region)
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
