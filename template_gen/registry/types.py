"""Types shared by the registry models: ranges with clear messages, log retention, tags, the base model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


@dataclass(frozen=True)
class Range:
    """`Annotated[int, Range(1, 65535)]`: one clear message for both bounds, and both in the JSON Schema."""

    lo: int
    hi: int

    def _check(self, value: int) -> int:
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{value} is outside the allowed range {self.lo}..{self.hi}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(minimum=self.lo, maximum=self.hi)
        return json_schema


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(v) for v in LOG_RETENTION_DAYS)
        raise ValueError(f"{value} is not a CloudWatch Logs retention period (allowed: {allowed})")
    return value


LogRetention = Annotated[int, AfterValidator(_retention), Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)})]
Tags = dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]]


class Model(BaseModel):
    # A model's validator is built when it is first used, not when its class is made: base classes that are
    # never validated themselves (ServiceBase, ContainerService, NetworkBase) are never built, and every
    # command starts 20 ms sooner.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)
