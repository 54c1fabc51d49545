"""Path rules: API base paths and ALB path patterns (`*` = any characters, `?` = one character)."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

_BASE_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
# Characters the ALB accepts in a path-pattern condition value.
_ALB_PATTERN = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+&;*?]*$")
ALB_PATTERN_MAX = 128


def check_base_path(path: str) -> str | None:
    if not path.startswith("/"):
        return f"'{path}' must start with '/'"
    if path == "/":
        return "'/' cannot be a service base path; use a path such as /orders"
    if path.endswith("/"):
        return f"'{path}' must not end with '/'"
    for segment in path[1:].split("/"):
        if not _BASE_PATH_SEGMENT.match(segment):
            return (
                f"'{path}' has an invalid segment '{segment}': use letters, digits, '.', '_' and '-' "
                "(path parameters such as {id} belong to the service, not its base path)"
            )
    return None


def check_alb_pattern(pattern: str) -> str | None:
    if not pattern.startswith("/"):
        return f"'{pattern}' must start with '/'"
    if len(pattern) > ALB_PATTERN_MAX:
        return f"'{pattern}' is longer than the ALB's {ALB_PATTERN_MAX} characters"
    if not _ALB_PATTERN.match(pattern):
        return f"'{pattern}' contains characters an ALB path pattern does not allow"
    return None


def default_alb_patterns(base_path: str, proxy: bool = True) -> tuple[str, ...]:
    """The ALB patterns that reach a route: its path, and everything below it with `proxy`."""
    if base_path == "/":
        return ("/*",) if proxy else ("/",)
    return (base_path, f"{base_path}/*") if proxy else (base_path,)


def check_route_path(path: str) -> str | None:
    """A path of `api.routes`: a base path, or the API's root `/`."""
    return None if path == "/" else check_base_path(path)


def reaches(pattern: str, path: str) -> bool:
    """True when the ALB pattern matches the literal request path."""
    return overlap(pattern, path) == path


def overlap(a: str, b: str) -> str | None:
    """A path matched by both patterns, or None when no path is."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * (len(a) + len(b)) + 100))

    @cache
    def common(i: int, j: int) -> str | None:
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        if ca is None and cb is None:
            return ""
        if ca == "*" or cb == "*":
            # One star matches nothing more ...
            rest = common(i + 1, j) if ca == "*" else None
            if rest is not None:
                return rest
            rest = common(i, j + 1) if cb == "*" else None
            if rest is not None:
                return rest
            # ... or swallows one character the other pattern must produce.
            if ca == "*" and cb not in (None, "*"):
                rest = common(i, j + 1)
                return None if rest is None else ("x" if cb == "?" else str(cb)) + rest
            if cb == "*" and ca not in (None, "*"):
                rest = common(i + 1, j)
                return None if rest is None else ("x" if ca == "?" else str(ca)) + rest
            return None
        if ca is None or cb is None:
            return None
        if ca == "?":
            char = "x" if cb == "?" else cb
        elif cb in ("?", ca):
            char = ca
        else:
            return None
        rest = common(i + 1, j + 1)
        return None if rest is None else char + rest

    return common(0, 0)


def _first_segment(pattern: str) -> str | None:
    """The literal first path segment, or None when a wildcard can reach beyond it."""
    end = pattern.find("/", 1)
    segment = pattern[1:] if end == -1 else pattern[1:end]
    return None if ("*" in segment or "?" in segment) else segment


def overlapping_pairs(patterns: Iterable[tuple[str, str]]) -> list[tuple[str, str, str, str, str]]:
    """Pairs of (owner, pattern) from different owners that share a path: (owner_a, pat_a, owner_b, pat_b,
    witness). Patterns are bucketed by their literal first segment, so unrelated services are never compared."""
    buckets: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    items = list(patterns)
    for owner, pattern in items:
        buckets[_first_segment(pattern)].append((owner, pattern))
    wild = buckets.get(None, [])
    found = []
    for key, members in sorted(buckets.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        candidates = members if key is None else members + wild
        for x, (owner_a, pat_a) in enumerate(members):
            start = x + 1
            for owner_b, pat_b in candidates[start:]:
                if owner_a == owner_b:
                    continue
                witness = overlap(pat_a, pat_b)
                if witness is not None:
                    found.append((owner_a, pat_a, owner_b, pat_b, witness))
    return found
