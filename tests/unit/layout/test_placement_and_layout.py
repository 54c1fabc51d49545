from __future__ import annotations

from template_gen.layout.capacity import Cost
from template_gen.layout.placement import Placement, place
from template_gen.layout.planner import Layout


def test_place_keeps_every_previous_assignment_and_fills_the_lowest_place_with_room() -> None:
    items = [("a", Cost(3)), ("b", Cost(3)), ("c", Cost(3)), ("new", Cost(3))]
    placed = place(items, {"a": 2, "b": 1, "c": 1}, Cost(7, 10, 10))
    assert placed == {"a": 2, "b": 1, "c": 1, "new": 2}


def test_an_empty_place_takes_an_item_larger_than_the_capacity() -> None:
    assert place([("huge", Cost(50)), ("small", Cost(1))], {}, Cost(10, 10, 10)) == {"huge": 1, "small": 2}


def test_layout_reports_what_it_placed_and_what_left() -> None:
    previous = Placement(compute={"a": 1, "gone": 2}, albs={"a": 1}, routes={"a": 1, "gone": 1})
    now = Placement(compute={"a": 1, "b": 2}, albs={"a": 1, "b": 1}, routes={"a": 1, "b": 2})
    layout = Layout(previous, now, ((1, 2),))
    assert [c.describe() for c in layout.changes] == [
        "b -> compute shard 2",
        "b -> ALB 1",
        "routes /b -> API route shard 2",
    ]
    assert layout.removed == ["gone", "routes /gone"]
    assert layout.summary() == "compute shard 2: b; ALB 1: b; API route shard 2: /b; removed: gone, /gone"
    assert layout.changed
    assert not Layout(now, now, ((1,),)).changed


def test_the_placement_note_names_a_few_services_per_place() -> None:
    now = Placement(compute={f"svc-{i:02d}": 1 for i in range(12)})
    assert Layout(Placement(), now, ((1,),)).summary() == (
        "compute shard 1: svc-00, svc-01, svc-02, svc-03, svc-04, svc-05, svc-06, svc-07 and 4 more"
    )
