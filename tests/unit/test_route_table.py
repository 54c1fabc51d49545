from __future__ import annotations

from template_gen import route_table
from template_gen.route_table import Exposed, RouteEntry


def test_the_route_table_puts_each_service_on_its_apis_and_adds_the_admin_route() -> None:
    routes = route_table.build(
        [
            Exposed("quoting", "both", "/quoting", "authorizer", "vpc_link"),
            Exposed("reports", "none", None, "none", "lambda"),
            Exposed("info", "public", "/platform/info", "none", "lambda", 5000),
        ],
        ("/admin", "public"),
    )
    assert routes == (
        RouteEntry("private", "quoting", "/quoting", "authorizer", "vpc_link"),
        RouteEntry("public", "admin", "/admin", "iam", "lambda"),
        RouteEntry("public", "info", "/platform/info", "none", "lambda", 5000),
        RouteEntry("public", "quoting", "/quoting", "authorizer", "vpc_link"),
    )
    assert route_table.apis(routes) == ["public", "private"]
    assert [r.group for r in routes] == ["quoting", "admin", "platform", "quoting"]


def test_api_resources_count_parents_and_proxies_once() -> None:
    entries = [RouteEntry("public", "b", "/a/b", "none", "lambda"), RouteEntry("public", "c", "/a/c", "none", "lambda")]
    assert route_table.resource_paths(entries) == {"/a", "/a/b", "/a/c", "/a/b/{proxy+}", "/a/c/{proxy+}"}
    routes = route_table.build([Exposed("x", "public", "/a/b", "none", "lambda")], None)
    assert (route_table.api_resource_count(routes, "public"), route_table.api_resource_count(routes, "private")) == (
        3,
        0,
    )
