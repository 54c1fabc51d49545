"""Per-environment overrides: deep-merged over the base document before validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Keys an `environments.<env>` block may not change: they define what the service is.
FIXED_KEYS = ("kind", "name", "environments")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (scalars, lists) is replaced; `null` removes the key,
    which restores the default."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def touches(override: Mapping[str, Any] | None, path: Sequence[str | int]) -> bool:
    """True when the override sets `path` or one of its parents, so a problem there is the override's."""
    node: Any = override
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
        if not isinstance(node, Mapping):
            return True
    return True
