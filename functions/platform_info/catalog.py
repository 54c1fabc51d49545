"""The environment's service catalog: a JSON file baked in at synth time and shipped as a layer.

It is read on first use (not at import, so a missing file is a clean 503 rather than an init
crash), validated, and kept for the life of the container; a failed read is retried next request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_CATALOG_PATH = "/opt/platform/catalog.json"


class CatalogUnavailable(Exception):
    """The catalog file is missing, unreadable or not a valid catalog."""


class ServiceEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    kind: Literal["ecs", "worker", "lambda"]
    description: str | None = None
    base_path: str | None = None  # None: a function driven by events, not exposed on an API
    exposure: list[Literal["public", "private"]] = Field(default_factory=list)
    auth: str


class Catalog(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    platform: str
    environment: str
    region: str
    services: list[ServiceEntry]


class CatalogLoader:
    def __init__(self, path: str | Path = DEFAULT_CATALOG_PATH) -> None:
        self.path = Path(path)
        self._catalog: Catalog | None = None

    def load(self) -> Catalog:
        if self._catalog is None:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                catalog = Catalog.model_validate(raw)
            except (OSError, ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
                raise CatalogUnavailable(f"{self.path}: {type(exc).__name__}") from exc
            # Sorted by name whatever the file says, so responses are stable.
            self._catalog = catalog.model_copy(
                update={"services": sorted(catalog.services, key=lambda service: service.name)}
            )
        return self._catalog
