"""The faster constructor for troposphere objects builds exactly what troposphere's own builds."""

from __future__ import annotations

import json

import pytest
import troposphere
from synth_cases import CASES, PARAMS
from troposphere import BaseAWSObject, Ref, apigateway, ecs, iam

from template_gen import troposphere_init
from template_gen.encode import template_dict
from template_gen.pipeline import build_stages, load_registry, placed_spec
from template_gen.stacks.common import RenderContext


def test_it_is_installed_on_the_pinned_release_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert troposphere.__version__ == troposphere_init.WRITTEN_FOR  # a new release: compare its __init__, then pin
    assert BaseAWSObject.__init__ is troposphere_init.fast_init
    monkeypatch.setattr(BaseAWSObject, "__init__", troposphere_init.ORIGINAL)
    monkeypatch.setattr(troposphere, "__version__", "4.12.0")
    assert troposphere_init.install() is False
    assert BaseAWSObject.__init__ is troposphere_init.ORIGINAL


def objects() -> list[BaseAWSObject]:
    """A resource, a property with a nested property, a template-level object, one with a class default."""
    container = ecs.ContainerDefinition(Name="app", Image="nginx", PortMappings=[ecs.PortMapping(ContainerPort=80)])
    return [
        ecs.TaskDefinition("Task", ContainerDefinitions=[container], Cpu="256", DependsOn=["Role"]),
        container,
        troposphere.Output("Out", Value=Ref("Task"), Description="a task"),
        troposphere.Parameter("Param", Type="String", Default="x"),
        iam.Role("Role", AssumeRolePolicyDocument={"Statement": []}),
        apigateway.Method("Get", HttpMethod="GET", ResourceId="r", RestApiId="a", AuthorizationType="NONE"),
    ]


def test_each_object_has_the_same_attributes_in_the_same_order(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = objects()
    monkeypatch.setattr(BaseAWSObject, "__init__", troposphere_init.ORIGINAL)
    original = objects()
    for a, b in zip(fast, original, strict=True):
        assert list(vars(a)) == list(vars(b)), type(a)
        assert {k: v for k, v in vars(a).items() if k != "template"} == {
            k: v for k, v in vars(b).items() if k != "template"
        }
        assert a.to_dict() == b.to_dict()
        assert a.propnames is not b.propnames and a.attributes is not b.attributes  # each object its own


def test_a_class_default_is_set_unless_given_and_bad_input_is_refused_as_before() -> None:
    # troposphere 4.11.1 has no class with a default property value; the constructor still honours one.
    class Defaulted(ecs.PortMapping):
        Protocol = "tcp"

    assert Defaulted(ContainerPort=80).properties == {"Protocol": "tcp", "ContainerPort": 80}
    assert Defaulted(ContainerPort=80, Protocol="udp").properties == {"ContainerPort": 80, "Protocol": "udp"}
    with pytest.raises(ValueError, match='Name "bad-title" not alphanumeric'):
        ecs.Service("bad-title")
    with pytest.raises(TypeError, match=r"T\.ContainerDefinitions is <class 'str'>, expected"):
        ecs.TaskDefinition("T", ContainerDefinitions="app")


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_golden_case_builds_the_same_templates_with_either_constructor(
    case: str, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = CASES[case].project
    spec = placed_spec(load_registry(project, [env]), env)

    def built() -> list[str]:
        return [json.dumps(template_dict(s.template)) for s in build_stages(spec, RenderContext(project))]

    fast = built()
    monkeypatch.setattr(BaseAWSObject, "__init__", troposphere_init.ORIGINAL)
    assert built() == fast
