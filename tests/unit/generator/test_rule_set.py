from __future__ import annotations

import inspect

from template_gen.registry import alb_tls_rules, cross_checks, egress_rules, quota_rules, route_cross_checks
from template_gen.registry.rule_set import RULES, of_scope


def test_every_rule_has_a_unique_name_and_a_known_scope() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert {rule.scope for rule in RULES} == {"service", "environment", "cross-service"}
    assert [r.name for r in of_scope("environment")] == [
        "network", "api-settings", "registry-patch-stage", "alb-tls", "kms-key-region", "log-bucket-settings",
        "vpc-endpoints",
    ]  # fmt: skip


def test_every_rule_function_is_registered_once() -> None:
    defined = {
        fn
        for module in (cross_checks, egress_rules, quota_rules, route_cross_checks, alb_tls_rules)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_") and "ctx" in inspect.signature(fn).parameters
    }
    registered = [rule.check for rule in RULES if rule.check in defined]
    assert sorted(f.__name__ for f in defined) == sorted(f.__name__ for f in registered)
    assert {r.scope for r in RULES if r.check is quota_rules.alb_targets} == {"service"}
    assert len(registered) == len(set(registered))
