"""Patch operations on a resource's Properties: where add creates, what replace and remove need to exist."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from template_gen.escape_hatches.apply import _apply_op, _PathError

PROPS: dict[str, Any] = {"Tags": [{"Key": "a", "Value": "1"}], "Cpu": "256", "Nested": {"Inner": {"X": 1}}}


def patched(op: str, path: str, value: Any = None) -> dict[str, Any]:
    props = copy.deepcopy(PROPS)
    _apply_op(props, op, path.split("."), value)
    return props


@pytest.mark.parametrize(
    ("op", "path", "value", "expected"),
    [
        ("add", "Memory", "512", {**PROPS, "Memory": "512"}),
        ("add", "A.B.C", 1, {**PROPS, "A": {"B": {"C": 1}}}),
        ("add", "Tags.-", {"Key": "b"}, {**PROPS, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b"}]}),
        ("add", "Tags.0", {"Key": "b"}, {**PROPS, "Tags": [{"Key": "b"}, {"Key": "a", "Value": "1"}]}),
        ("add", "Tags.0.Value", "2", {**PROPS, "Tags": [{"Key": "a", "Value": "2"}]}),
        ("replace", "Nested.Inner.X", 2, {**PROPS, "Nested": {"Inner": {"X": 2}}}),
        ("replace", "Tags.0", {"Key": "c"}, {**PROPS, "Tags": [{"Key": "c"}]}),
        ("remove", "Tags.0", None, {**PROPS, "Tags": []}),
        ("remove", "Cpu", None, {k: v for k, v in PROPS.items() if k != "Cpu"}),
    ],
)
def test_an_operation_changes_exactly_its_path(op: str, path: str, value: Any, expected: dict[str, Any]) -> None:
    assert patched(op, path, value) == expected


@pytest.mark.parametrize(
    ("op", "path", "message"),
    [
        ("replace", "Memory", "Memory does not exist"),
        ("remove", "Nested.Outer.X", "Nested.Outer does not exist"),
        ("replace", "Tags.1", "Tags.1 does not exist (the list has 1 items)"),
        ("add", "Tags.5", "Tags.5 does not exist (the list has 1 items)"),
        ("remove", "Tags.x", "Tags.x: 'x' is not an index of a list of 1 items"),
        ("add", "Cpu.Units", "Cpu is a value, not a mapping or a list, so Cpu.Units does not exist"),
        ("add", "Tags.x.Key", "Tags.x does not exist"),
    ],
)
def test_a_path_that_does_not_exist_is_refused(op: str, path: str, message: str) -> None:
    with pytest.raises(_PathError) as raised:
        patched(op, path, 1)
    assert str(raised.value) == message
