"""API resource logical IDs: injective per route stack (per API once recorded) and stable as paths come
and go; a platform generated before the record keeps the IDs it had."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from template_gen import route_ids
from template_gen.layout.placement import Placement
from template_gen.layout.planner import resource_ids
from template_gen.route_table import RouteEntry

# Paths whose camel-cased words collide: `-`, `_`, `.` and `/` all separate the same words.
PATHS = ["/a/b", "/a-b", "/a_b", "/a.b", "/ab", "/a", "/a/b/c", "/a-b/c", "/a/b-c", "/orders/v1", "/orders-v1", "/b"]


def routes(paths: list[str], api: str = "public") -> tuple[RouteEntry, ...]:
    return tuple(
        sorted(
            (RouteEntry(api, f"svc{i}", path, "none", "lambda") for i, path in enumerate(paths)),
            key=lambda r: (r.api, r.base_path, r.name),
        )
    )


def ids(paths: list[str], previous: Placement) -> Placement:
    table = routes(paths)
    return Placement(resources=resource_ids(table, {}, previous))


def test_a_collision_hashes_the_later_path_in_a_fresh_record():
    fresh = ids(["/orders/v1", "/orders-v1"], Placement()).resources["public"]
    assert fresh["/orders-v1"] == "OrdersV1"
    assert fresh["/orders/v1"] == "OrdersV1" + route_ids.hashed("/orders/v1")[-6:]
    assert fresh["/orders"] == "Orders"


def test_an_existing_path_keeps_its_id_when_a_colliding_path_is_added():
    # GIVEN /orders/v1 deployed alone (PublicOrdersV1Resource)
    before = ids(["/orders/v1"], Placement())
    assert before.resources["public"]["/orders/v1"] == "OrdersV1"
    # WHEN a service at /orders-v1 (same words, sorted first) is added
    after = ids(["/orders/v1", "/orders-v1"], before).resources["public"]
    # THEN the deployed path keeps its ID and the new one is hashed
    assert after["/orders/v1"] == "OrdersV1"
    assert after["/orders-v1"] == "OrdersV1" + route_ids.hashed("/orders-v1")[-6:]


def test_without_a_record_ids_are_the_historical_ones():
    # The builders hashed the later of two colliding paths in creation order: the same comes out.
    fresh = ids(["/a-b", "/a/b"], Placement()).resources["public"]
    assert fresh == {
        "/a": "A",
        "/a-b": "AB",
        "/a-b/{proxy+}": "ABProxy",
        "/a/b": "AB" + route_ids.hashed("/a/b")[-6:],
        "/a/b/{proxy+}": "ABProxy" + route_ids.hashed("/a/b/{proxy+}")[-6:],
    }


def test_the_root_route_is_named_root_and_its_proxy_proxy():
    fresh = ids(["/", "/proxy"], Placement()).resources["public"]
    assert fresh["/"] == "Root"
    assert fresh["/{proxy+}"] == "Proxy"
    assert fresh["/proxy"] == "Proxy" + route_ids.hashed("/proxy")[-6:]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(PATHS)), min_size=1, max_size=30))
def test_every_existing_path_keeps_its_logical_id(steps):
    """Add and remove random paths; after each step every path that stayed has the ID it had, and no two
    paths of the API share an ID once recorded."""
    present: list[str] = []
    placement = Placement()
    for add, path in steps:
        if add and path not in present:
            present.append(path)
        elif not add and path in present:
            present.remove(path)
        if not present:
            placement = Placement()
            continue
        new = ids(present, placement)
        old_ids, new_ids = placement.resources.get("public", {}), new.resources["public"]
        for kept in set(old_ids) & set(new_ids):
            assert new_ids[kept] == old_ids[kept], kept
        assert len(set(new_ids.values())) == len(new_ids), new_ids
        placement = new


def test_the_placement_file_round_trips_the_record(tmp_path):
    from template_gen.layout import placement as store

    placed = ids(["/orders/v1", "/orders-v1"], Placement())
    file = store.path(tmp_path, "dev")
    file.parent.mkdir(parents=True)
    file.write_text(placed.to_json())
    assert store.read(tmp_path, "dev") == placed
