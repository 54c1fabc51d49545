"""Models of the escape hatches: `overrides:` (patch operations on generated resources) and
`extra_resources:` (raw CloudFormation), in a service file and per environment in the registry.

Their shape is checked here, up front; whether a patch's resource and path exist is known only once the
templates are built (`template_gen/escape_hatches/`)."""

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from template_gen.registry.types import Model

LogicalId = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,255}$")]
StageKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")]


class PatchOp(Model):
    op: Literal["add", "replace", "remove"] = Field(
        description="add: set the value (missing mappings on the way are created; in a list, insert at the index "
        "or append with -); replace: the path must exist; remove: the path must exist."
    )
    resource: LogicalId = Field(description="Logical ID of a generated resource (as in build/<env>/*.yaml).")
    path: str = Field(
        pattern=r"^[^.]+(\.[^.]+)*$",
        description="Path under the resource's Properties, dotted, list items by index: "
        "ContainerDefinitions.0.Ulimits.",
    )
    value: Any = Field(None, description="The value, for add and replace.")
    stage: StageKey | None = Field(
        None, description="In a service file: the stack to patch (default: the one that holds the resource)."
    )

    @model_validator(mode="after")
    def _value_matches_op(self) -> Self:
        has_value = "value" in self.model_fields_set
        if self.op == "remove" and has_value:
            raise PydanticCustomError("patch_value", "remove takes no value")
        if self.op != "remove" and not has_value:
            raise PydanticCustomError("patch_value", f"{self.op} needs a value")
        return self


class RawResource(Model):
    """A CloudFormation resource, as in a template's Resources section."""

    Type: str = Field(
        pattern=r"^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+(::[A-Za-z0-9]+)?|Custom::[A-Za-z0-9_@-]{1,60})$",
        description="e.g. AWS::SNS::Topic",
    )
    Properties: dict[str, Any] = Field(default_factory=dict)
    DependsOn: str | list[str] | None = None
    Condition: str | None = None
    Metadata: dict[str, Any] | None = None
    DeletionPolicy: Literal["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"] | None = None
    UpdateReplacePolicy: Literal["Delete", "Retain", "Snapshot"] | None = None
    UpdatePolicy: dict[str, Any] | None = None
    CreationPolicy: dict[str, Any] | None = None

    def template_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude_unset=True)


ExtraResources = dict[LogicalId, RawResource]
