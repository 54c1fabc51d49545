"""What a stack's parameter values are made of, across stacks, as one digest.

A REST API deployment is a snapshot: when a route stack's parameter value changes (the VPC link id, the
NLB's DNS name, a function ARN), the methods are updated but the stage keeps serving the old snapshot
until a new deployment is made. The values are only known at deploy time, but what determines them is
known at synth time: the definitions of the resources behind each output, and the literals they are built
from, followed from stack to stack. A deployment whose logical ID includes this digest is re-created
whenever one of them changes (a change that keeps the values yields a deployment that is not needed, which
costs nothing but a few seconds).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from template_gen.stacks.common import Stage, StageOutput

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


def digest(stages: Iterable[Stage], known: Mapping[str, Stage]) -> str:
    """A digest of the values fed to the parameters of `stages` (every stage they come from is in `known`)."""
    walker = _Walker(known)
    parts = []
    for stage in stages:
        for name, value in sorted(stage.parameter_values.items()):
            parts.append([stage.key, name, walker.value(value)])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Walker:
    def __init__(self, known: Mapping[str, Stage]):
        self.known = known
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
            definition = template.resources[name].to_dict()
            return [definition, self._inputs(stage, definition)]
        if name in template.parameters:
            return self.value(stage.parameter_values.get(name, template.parameters[name].to_dict().get("Default")))
        return None  # a pseudo parameter: the same for every deployment of the stack


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
