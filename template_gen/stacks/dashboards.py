"""Dashboard bodies: sections of widgets, laid out in a 24-column grid and split into pages so that no
dashboard goes over CloudWatch's widget and metric quotas or the platform's body-size budget.

Values that come from other stacks are written as `${Parameter}` and the body is wrapped in `Fn::Sub`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from template_gen.quotas import DASHBOARD_BODY_BUDGET, DASHBOARD_METRICS, DASHBOARD_WIDGETS

GRID = 24
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6
# The questions an operator asks, in order: one dashboard section each.
QUESTIONS = (
    "1. Gateway: did the request reach the API?",
    "2. Authorizer: was the caller allowed?",
    "3. Routing: was it routed to the right backend?",
    "4. Target health: was the target healthy?",
    "5. Services: did the service fail or time out?",
    "6. Network: was the problem in networking?",
)
PLACEHOLDER_ROOM = 96  # bytes a `${...}` may grow by once CloudFormation substitutes it (ARNs, full names)


@dataclass
class Section:
    """One question of the dashboard, in order: a heading and its widgets."""

    heading: str
    widgets: list[dict[str, Any]] = field(default_factory=list)


def metric_widget(
    title: str, metrics: Sequence[Sequence[Any]], stat: str = "Sum", period: int = 60, right: Sequence[int] = ()
) -> dict[str, Any]:
    """A time-series widget; `metrics` rows are [namespace, name, dimension, value, ..., {options}]."""
    rows = []
    for index, row in enumerate(metrics):
        row = list(row)
        if index in right:
            options = row.pop() if isinstance(row[-1], dict) else {}
            row.append({**options, "yAxis": "right"})
        rows.append(row)
    properties = {
        "metrics": rows,
        "period": period,
        "region": "${AWS::Region}",
        "stat": stat,
        "title": title,
        "view": "timeSeries",
    }
    return {"type": "metric", "width": WIDGET_WIDTH, "height": WIDGET_HEIGHT, "properties": properties}


def log_widget(title: str, log_group: str, query: str) -> dict[str, Any]:
    properties = {
        "query": f"SOURCE '{log_group}' | {query}",
        "region": "${AWS::Region}",
        "title": title,
        "view": "table",
    }
    return {"type": "log", "width": GRID, "height": WIDGET_HEIGHT, "properties": properties}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "text", "width": GRID, "height": 1, "properties": {"markdown": f"## {text}"}}


def metric_count(widget: dict[str, Any]) -> int:
    return len(widget["properties"].get("metrics", ()))


def widget_bytes(widget: dict[str, Any]) -> int:
    text = json.dumps(widget, sort_keys=True, separators=(",", ":"))
    return len(text.encode()) + text.count("${") * PLACEHOLDER_ROOM + 16  # x, y and the separator


def paginate(title: str, sections: Sequence[Section]) -> list[list[dict[str, Any]]]:
    """Widgets per page, in order; a section cut by a page break starts the next page with its heading."""
    pages: list[list[dict[str, Any]]] = []
    page: list[dict[str, Any]] = []
    used = [0, 0]  # metrics, bytes

    def new_page() -> None:
        nonlocal page
        page = [_heading(title if not pages else f"{title} (page {len(pages) + 1})")]
        pages.append(page)
        used[:] = [0, widget_bytes(page[0]) + 64]

    def fits(widgets: Sequence[dict[str, Any]]) -> bool:
        return (
            len(page) + len(widgets) <= DASHBOARD_WIDGETS.limit
            and used[0] + sum(metric_count(w) for w in widgets) <= DASHBOARD_METRICS.limit
            and used[1] + sum(widget_bytes(w) for w in widgets) <= DASHBOARD_BODY_BUDGET
        )

    def put(widget: dict[str, Any]) -> None:
        page.append(widget)
        used[0] += metric_count(widget)
        used[1] += widget_bytes(widget)

    new_page()
    for section in sections:
        heading = _heading(section.heading)
        if not fits([heading, *section.widgets[:1]]):
            new_page()
        put(heading)
        for widget in section.widgets:
            if not fits([widget]):
                new_page()
                put(_heading(f"{section.heading} (continued)"))
            put(widget)
    return pages


def body(widgets: Sequence[dict[str, Any]]) -> str:
    """The dashboard body: widgets placed left to right, top to bottom; a full-width widget starts a row."""
    placed, x, y, row_height = [], 0, 0, 0
    for widget in widgets:
        width, height = widget["width"], widget["height"]
        if x + width > GRID:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**widget, "x": x, "y": y})
        x += width
        row_height = max(row_height, height)
    return json.dumps({"start": "-PT3H", "widgets": placed}, sort_keys=True, separators=(",", ":"))
