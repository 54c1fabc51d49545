"""Edit a hand-written YAML file in place without disturbing anything else in it.

A round-trip dumper (ruamel.yaml) re-indents whole files, turns `tag: null` into `tag:` and attaches a
new list item after the blank line that followed the list. Instead, PyYAML's composer tells us where each
node sits in the text, and the edit is spliced in there: every byte outside the edit stays as it was,
comments and formatting included. Every edit is checked by parsing the result and comparing it with the
data the edit was meant to produce; a file laid out in a way the splice does not handle is refused, never
silently rewritten.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import yaml

from template_gen.errors import UsageError

Node = yaml.Node


class EditFailed(UsageError):
    """The file's layout is one the text splice does not handle; the user edits it by hand."""


def scalar(value: Any) -> str:
    """`value` as a one-line YAML scalar that parses back to the same value (quoted when needed)."""
    text: str = yaml.safe_dump(value, default_flow_style=True, width=1 << 16)
    return text.removesuffix("\n...\n").strip()


def append_to_list(text: str, path: Sequence[str], item: str, rel_path: str) -> str:
    """Append `item` to the list at `path` (a mapping path), creating the list when the key is missing."""
    root = _compose(text, rel_path)
    parent = _walk(root, path[:-1], rel_path)
    value = _get(parent, path[-1])
    if value is None:
        new = _add_key(text, parent, [path[-1]], [item], _indent_step(root), rel_path)
    elif isinstance(value, yaml.SequenceNode) and value.flow_style:
        close = value.end_mark.index - 1
        sep = ", " if value.value else ""
        new = text[:close] + sep + scalar(item) + text[close:]
    elif isinstance(value, yaml.SequenceNode) and value.value:
        last = value.value[-1]
        line_start = text.rfind("\n", 0, last.start_mark.index) + 1
        prefix = text[line_start : last.start_mark.index]
        if prefix.strip() != "-":
            raise EditFailed(_cannot(rel_path, path))
        end = _line_end(text, _content_end(last))
        new = text[:end] + prefix + scalar(item) + "\n" + text[end:]
    elif isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
        new = _replace_scalar(text, value, f"[{scalar(item)}]")
    else:
        raise EditFailed(_cannot(rel_path, path))
    expected = _data(text, rel_path)
    node = _data_at(expected, path[:-1])
    node[path[-1]] = [*(node.get(path[-1]) or []), item]
    return _checked(new, expected, rel_path, path)


def set_value(text: str, path: Sequence[str], value: Any, rel_path: str) -> str:
    """Set the scalar at `path`, creating the mappings on the way when they are missing."""
    root = _compose(text, rel_path)
    node, depth, key_node = root, 0, None
    while depth < len(path):
        if not isinstance(node, yaml.MappingNode):
            break
        pair = _pair(node, path[depth])
        if pair is None:
            break
        key_node, node = pair
        depth += 1
    rest = list(path[depth:])
    if not rest:
        if not isinstance(node, yaml.ScalarNode):
            raise EditFailed(_cannot(rel_path, path))
        new = _replace_scalar(text, node, scalar(value))
    elif _empty_flow_mapping(node) and key_node is not None:
        new = _expand_empty_mapping(text, key_node, node, rest, value, _indent_step(root))
    elif isinstance(node, yaml.MappingNode):
        new = _add_key(text, node, rest, value, _indent_step(root), rel_path)
    elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and depth > 0:
        new = _replace_scalar(text, node, _flow(rest, value))
    else:
        raise EditFailed(_cannot(rel_path, path))
    expected = _data(text, rel_path)
    target = expected
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value
    return _checked(new, expected, rel_path, path)


# --------------------------------------------------------------------------------------------------


def _compose(text: str, rel_path: str) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise EditFailed(f"{rel_path}: could not parse YAML: {exc}") from exc
    if not isinstance(root, yaml.MappingNode):
        raise EditFailed(f"{rel_path}: expected a mapping at the top level")
    return root


def _data(text: str, rel_path: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise EditFailed(f"{rel_path}: expected a mapping at the top level")
    return copy.deepcopy(data)


def _data_at(data: dict[str, Any], path: Sequence[str]) -> dict[str, Any]:
    node = data
    for key in path:
        node = node[key]
    return node


def _pair(mapping: Node, key: str) -> tuple[Node, Node] | None:
    assert isinstance(mapping, yaml.MappingNode)
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _get(mapping: Node, key: str) -> Node | None:
    pair = _pair(mapping, key)
    return None if pair is None else pair[1]


def _empty_flow_mapping(node: Node) -> bool:
    return isinstance(node, yaml.MappingNode) and bool(node.flow_style) and not node.value


def _expand_empty_mapping(text: str, key: Node, node: Node, keys: Sequence[str], value: Any, step: int) -> str:
    """`key: {}  # comment` -> `key:  # comment` followed by the new keys as a block mapping."""
    start, end = node.start_mark.index, node.end_mark.index
    line_end = _line_end(text, end)
    rest = text[end:line_end].rstrip("\n")
    if rest.strip() and not rest.strip().startswith("#"):
        raise EditFailed("unexpected text after {}")
    lines = _block_lines(keys, value, key.start_mark.column + step, step)
    return text[:start].rstrip(" ") + rest + "\n" + "".join(line + "\n" for line in lines) + text[line_end:]


def _walk(root: Node, path: Sequence[str], rel_path: str) -> Node:
    node = root
    for depth, key in enumerate(path):
        child = _get(node, key) if isinstance(node, yaml.MappingNode) else None
        if not isinstance(child, yaml.MappingNode):
            raise EditFailed(f"{rel_path}: {'.'.join(path[: depth + 1])} is not a mapping")
        node = child
    return node


def _content_end(node: Node) -> int:
    """Where the node's own text ends: a block collection's end mark lies after trailing comments and
    blank lines, so use its last descendant instead."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    children: list[Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    return max((_content_end(child) for child in children), default=int(node.end_mark.index))


def _line_end(text: str, index: int) -> int:
    """The index just after the newline that ends the line holding `index` (a newline is added at EOF)."""
    if index > 0 and text[index - 1] == "\n":
        return index  # a block scalar's end is already at the start of the next line
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1


def _replace_scalar(text: str, node: Node, replacement: str) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    if start == end:  # an empty value right after "key:"
        replacement = " " + replacement
    return text[:start] + replacement + text[end:]


def _flow(keys: Sequence[str], value: Any) -> str:
    out = value if isinstance(value, list) else None
    text = f"[{', '.join(scalar(v) for v in out)}]" if out is not None else scalar(value)
    for key in reversed(keys):
        text = f"{{{scalar(key)}: {text}}}"
    return text


def _add_key(text: str, mapping: Node, keys: Sequence[str], value: Any, step: int, rel_path: str) -> str:
    """Add `keys[0]: ...` (nested down to `value`) as the last entry of `mapping`."""
    if getattr(mapping, "flow_style", False):
        close = mapping.end_mark.index - 1
        sep = ", " if mapping.value else ""
        inner = _flow(keys, value)[1:-1]  # "{a: {b: v}}" -> "a: {b: v}"
        return text[:close] + sep + inner + text[close:]
    if not mapping.value:
        raise EditFailed(f"{rel_path}: cannot add {keys[0]} to an empty mapping")
    lines = _block_lines(keys, value, mapping.value[0][0].start_mark.column, step)
    end = _line_end(text, _content_end(mapping))
    if end == len(text) and not text.endswith("\n"):
        text += "\n"
        end += 1
    return text[:end] + "".join(line + "\n" for line in lines) + text[end:]


def _block_lines(keys: Sequence[str], value: Any, column: int, step: int) -> list[str]:
    lines = [" " * (column + depth * step) + f"{scalar(key)}:" for depth, key in enumerate(keys[:-1])]
    last_indent = " " * (column + (len(keys) - 1) * step)
    if isinstance(value, list):
        lines.append(last_indent + f"{scalar(keys[-1])}:")
        lines += [last_indent + " " * step + f"- {scalar(v)}" for v in value]
    else:
        lines.append(last_indent + f"{scalar(keys[-1])}: {scalar(value)}")
    return lines


def _indent_step(root: Node) -> int:
    """The file's indentation step, from the first nested block mapping (default 2)."""
    return _find_step(root) or 2


def _find_step(node: Node) -> int | None:
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        return None
    for key, value in node.value:
        if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
            child = value.value[0][0].start_mark.column
            if child > key.start_mark.column:
                return int(child - key.start_mark.column)
    for _key, value in node.value:
        step = _find_step(value)
        if step:
            return step
    return None


def _cannot(rel_path: str, path: Sequence[str]) -> str:
    return f"{rel_path}: cannot edit {'.'.join(path)} automatically (unusual layout); edit it by hand"


def _checked(new: str, expected: dict[str, Any], rel_path: str, path: Sequence[str]) -> str:
    try:
        got = yaml.safe_load(new)
    except yaml.YAMLError:
        got = None
    if got != expected:
        raise EditFailed(_cannot(rel_path, path))
    return new


def copy_entry(text: str, parent_path: Sequence[str], source: str, new_key: str, rel_path: str) -> str:
    """Append a copy of the block entry `source` of the mapping at `parent_path` under `new_key`, with its
    comments and layout, after the mapping's last entry (separated by a blank line when the entries are)."""
    root = _compose(text, rel_path)
    parent = _walk(root, parent_path, rel_path)
    path = [*parent_path, new_key]
    pair = _pair(parent, source)
    if pair is None or getattr(parent, "flow_style", False) or _pair(parent, new_key) is not None:
        raise EditFailed(_cannot(rel_path, path))
    key, value = pair
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    block = text[start : _line_end(text, _content_end(value))]
    indent = key.start_mark.index - start
    key_text = text[key.start_mark.index : key.end_mark.index]
    if "&" in block or block[:indent].strip():
        raise EditFailed(_cannot(rel_path, path))  # anchors would be defined twice
    block = block[:indent] + scalar(new_key) + block[indent + len(key_text) :]
    if not block.endswith("\n"):
        block += "\n"
    end = _line_end(text, _content_end(parent))
    if end == len(text) and not text.endswith("\n"):
        text += "\n"
        end += 1
    spaced = (
        len(parent.value) > 1
        and "\n\n" in text[_content_end(parent.value[-2][1]) : parent.value[-1][0].start_mark.index]
    )
    new = text[:end] + ("\n" if spaced else "") + block + text[end:]
    expected = _data(text, rel_path)
    node = _data_at(expected, parent_path)
    node[new_key] = copy.deepcopy(node[source])
    return _checked(new, expected, rel_path, path)


def insert_first(text: str, key: str, value: Any, rel_path: str) -> str:
    """Add `key: value` as the first entry of the top-level mapping, below the file's leading comments,
    followed by a blank line; every other byte stays as it was."""
    root = _compose(text, rel_path)
    if getattr(root, "flow_style", False) or not root.value:
        raise EditFailed(_cannot(rel_path, [key]))
    if _pair(root, key) is not None:
        raise EditFailed(f"{rel_path}: {key} is already set")
    first = root.value[0][0].start_mark
    start = first.index - first.column  # the start of the first key's line
    new = text[:start] + f"{scalar(key)}: {scalar(value)}\n\n" + text[start:]
    expected = {key: value, **_data(text, rel_path)}
    return _checked(new, expected, rel_path, [key])
