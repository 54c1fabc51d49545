from __future__ import annotations

import pytest

from template_gen.registry import paths


@pytest.mark.parametrize(
    ("a", "b", "witness"),
    [
        ("/quoting", "/quoting", "/quoting"),
        ("/quoting", "/quoting/*", None),
        ("/quoting/*", "/quot*", "/quoting/"),
        ("/a/*", "/a/b", "/a/b"),
        ("/a?c", "/abc", "/abc"),
        ("/a?c", "/a/c", "/a/c"),
        ("/x*y", "/xz", None),
        ("*", "/anything", "/anything"),
        ("/orders/v1/*", "/orders/v2/*", None),
        ("/a*b*c", "/a*c", "/abc"),
    ],
)
def test_overlap_finds_a_path_matched_by_both_patterns(a: str, b: str, witness: str | None) -> None:
    assert paths.overlap(a, b) == witness
    assert (paths.overlap(b, a) is None) == (witness is None)  # overlap is symmetric


def test_overlapping_pairs_skips_unrelated_prefixes_and_same_owner() -> None:
    patterns = [
        ("quoting", "/quoting"),
        ("quoting", "/quoting/*"),
        ("pricing", "/pricing"),
        ("pricing", "/pricing/*"),
        ("greedy", "/p*"),
    ]
    found = paths.overlapping_pairs(patterns)
    assert [(a, pa, b, pb) for a, pa, b, pb, _ in found] == [
        ("pricing", "/pricing", "greedy", "/p*"),
        ("pricing", "/pricing/*", "greedy", "/p*"),
    ]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/quoting", None),
        ("/orders/v1", None),
        ("quoting", "must start with '/'"),
        ("/quoting/", "must not end with '/'"),
        ("/", "cannot be a service base path"),
        ("/orders/{id}", "has an invalid segment '{id}'"),
        ("/a//b", "has an invalid segment ''"),
    ],
)
def test_base_path_rules(path: str, problem: str | None) -> None:
    message = paths.check_base_path(path)
    assert (message is None) if problem is None else (problem in str(message))


def test_alb_pattern_rules() -> None:
    assert paths.check_alb_pattern("/quoting/*") is None
    assert paths.check_alb_pattern("quoting") == "'quoting' must start with '/'"
    assert "longer than the ALB's 128 characters" in str(paths.check_alb_pattern("/" + "a" * 128))
    assert "characters an ALB path pattern does not allow" in str(paths.check_alb_pattern("/a b"))
    assert paths.default_alb_patterns("/quoting") == ("/quoting", "/quoting/*")
