"""Dashboard pages: sections in order, split at the widget, metric and size quotas, laid out on the grid;
and the names dashboards and alarms get."""

from __future__ import annotations

import json

import pytest

from template_gen import naming, quotas
from template_gen.stacks import dashboards
from template_gen.stacks.dashboards import Section, metric_widget


def widget(index: int, metrics: int = 2) -> dict[str, object]:
    return metric_widget(
        f"w{index}", [["AWS/ECS", "CPUUtilization", "ServiceName", f"s{index}-{m}"] for m in range(metrics)]
    )


def test_one_page_keeps_sections_in_order_with_their_headings() -> None:
    pages = dashboards.paginate("acme dev", [Section("1. a", [widget(1)]), Section("2. b", [widget(2), widget(3)])])
    assert len(pages) == 1
    texts = [w["properties"].get("markdown") or w["properties"]["title"] for w in pages[0]]
    assert texts == ["## acme dev", "## 1. a", "w1", "## 2. b", "w2", "w3"]


def test_pages_split_at_the_widget_quota_and_continue_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboards, "DASHBOARD_BODY_BUDGET", 10**9)  # only the widget quota binds here
    count = quotas.DASHBOARD_WIDGETS.limit + 10
    pages = dashboards.paginate("t", [Section("s", [widget(i, metrics=1) for i in range(count)])])
    assert [len(p) for p in pages] == [500, 14]  # title, heading, 498 widgets; title, "continued", 12 widgets
    assert pages[1][:2] == [
        {"type": "text", "width": 24, "height": 1, "properties": {"markdown": "## t (page 2)"}},
        {"type": "text", "width": 24, "height": 1, "properties": {"markdown": "## s (continued)"}},
    ]


def test_pages_split_at_the_metric_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboards, "DASHBOARD_BODY_BUDGET", 10**9)
    pages = dashboards.paginate("t", [Section("s", [widget(i, metrics=100) for i in range(30)])])
    assert [sum(dashboards.metric_count(w) for w in p) for p in pages] == [2500, 500]


def test_pages_split_at_the_body_budget_and_every_body_is_valid_json() -> None:
    big = [metric_widget("x" * 2000, [["AWS/ECS", "CPUUtilization", "ServiceName", "${P}"]]) for _ in range(120)]
    pages = dashboards.paginate("t", [Section("s", big)])
    assert len(pages) == 3
    for page in pages:
        body = dashboards.body(page)
        assert len(body.encode()) + body.count("${") * dashboards.PLACEHOLDER_ROOM <= quotas.DASHBOARD_BODY_BUDGET
        assert json.loads(body)["widgets"][0]["y"] == 0


def test_widgets_fill_rows_of_24_columns() -> None:
    body = json.loads(dashboards.body([dashboards._heading("h"), widget(1), widget(2), widget(3), widget(4)]))
    assert [(w["x"], w["y"]) for w in body["widgets"]] == [(0, 0), (0, 1), (8, 1), (16, 1), (0, 7)]


@pytest.mark.parametrize(
    ("shard", "page", "name"),
    [(1, 1, "acme-dev-eu-west-1"), (1, 2, "acme-dev-eu-west-1-2"), (3, 1, "acme-dev-eu-west-1-shard3"),
     (3, 2, "acme-dev-eu-west-1-shard3-2")],
)  # fmt: skip
def test_dashboard_names_carry_the_region_and_environment(shard: int, page: int, name: str) -> None:
    assert naming.dashboard_name("acme", "dev", "eu-west-1", shard, page) == name


def test_alarm_names_are_deterministic_and_bounded() -> None:
    assert naming.alarm_name("acme", "dev", "quoting", "target-5xx") == "acme-dev-quoting-target-5xx"
    long = naming.alarm_name("acme", "dev", "s" * 300, "target-5xx")
    assert len(long) == 255 and long == naming.alarm_name("acme", "dev", "s" * 300, "target-5xx")
