from __future__ import annotations

from template_gen.registry.overrides import deep_merge, touches


def test_deep_merge_merges_mappings_and_replaces_everything_else() -> None:
    base = {"cpu": 256, "environment": {"A": "1", "B": "2"}, "alb": {"priority": 10, "path_patterns": ["/a"]}}
    override = {"cpu": 512, "environment": {"B": "3"}, "alb": {"path_patterns": ["/b", "/b/*"]}}
    assert deep_merge(base, override) == {
        "cpu": 512,
        "environment": {"A": "1", "B": "3"},
        "alb": {"priority": 10, "path_patterns": ["/b", "/b/*"]},
    }
    assert base["environment"] == {"A": "1", "B": "2"}  # inputs are not modified


def test_deep_merge_null_restores_the_default() -> None:
    assert deep_merge({"autoscaling": {"min": 1, "max": 2}, "port": 80}, {"autoscaling": None}) == {"port": 80}


def test_touches_reports_whether_the_override_set_a_path_or_its_parent() -> None:
    override = {"alb": {"priority": 5}, "autoscaling": {"min": 1}}
    assert touches(override, ["alb", "priority"])
    assert not touches(override, ["alb", "path_patterns"])
    assert touches(override, ["autoscaling", "min"])
    assert not touches(override, ["cpu"])
    assert not touches({}, ["cpu"])
    assert touches({"environment": {"A": "1"}}, ["environment", "A"])
