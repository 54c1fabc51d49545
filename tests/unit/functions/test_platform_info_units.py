"""platform_info's catalog loader, without the handler."""

from __future__ import annotations

import json

import pytest

CATALOG = {
    "platform": "acme",
    "environment": "dev",
    "region": "eu-west-1",
    "services": [
        {"name": "zeta", "kind": "lambda", "base_path": "/zeta", "exposure": ["private"], "auth": "iam"},
        {"name": "alpha", "kind": "ecs", "base_path": "/alpha", "exposure": ["public"], "auth": "api_key"},
    ],
}


@pytest.fixture()
def catalog(load_function):
    return load_function("platform_info", "catalog")


def test_catalog_sorts_services_by_name(catalog, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))
    assert [service.name for service in catalog.CatalogLoader(path).load().services] == ["alpha", "zeta"]


def test_catalog_accepts_services_without_description_and_ignores_unknown_fields(catalog, tmp_path):
    path = tmp_path / "catalog.json"
    services = [CATALOG["services"][1] | {"description": None, "owner": "team-a"}]
    path.write_text(json.dumps(CATALOG | {"services": services}))
    [service] = catalog.CatalogLoader(path).load().services
    assert service.model_dump(mode="json") == {
        "name": "alpha",
        "kind": "ecs",
        "description": None,
        "base_path": "/alpha",
        "exposure": ["public"],
        "auth": "api_key",
    }


def test_catalog_is_read_once_per_container(catalog, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))
    loader = catalog.CatalogLoader(path)
    first = loader.load()
    path.unlink()
    assert loader.load() is first


@pytest.mark.parametrize(
    "content",
    [
        "",
        "[]",
        json.dumps(CATALOG | {"region": None}),
        json.dumps(CATALOG | {"services": [CATALOG["services"][0] | {"kind": "ec2"}]}),
        json.dumps(CATALOG | {"services": [CATALOG["services"][0] | {"exposure": ["internet"]}]}),
    ],
    ids=["empty", "array", "null region", "unknown kind", "unknown exposure"],
)
def test_catalog_refuses_an_invalid_file(catalog, tmp_path, content):
    path = tmp_path / "catalog.json"
    path.write_text(content)
    with pytest.raises(catalog.CatalogUnavailable) as raised:
        catalog.CatalogLoader(path).load()
    assert str(raised.value).startswith(f"{path}: ")


def test_catalog_default_path_is_the_layer_location(catalog):
    assert str(catalog.CatalogLoader().path) == "/opt/platform/catalog.json"
