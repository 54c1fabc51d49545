"""Root template: the SAM transform, one nested stack per stage, and stage outputs wired into the next
stage's parameters. Stages never reference each other directly; everything crosses here."""

from __future__ import annotations

from collections.abc import Sequence

from troposphere import GetAtt, cloudformation

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks.common import StackBuilder, StageInfo, StageOutput


def build(env: EnvironmentSpec, stages: Sequence[StageInfo]) -> StackBuilder:
    b = StackBuilder(f"{env.platform} {env.name}: root stack", env.tags, sam=True)
    by_key = {stage.key: stage for stage in stages}
    for stage in stages:
        parameters: dict[str, object] = {}
        for name, value in sorted(stage.parameter_values.items()):
            if isinstance(value, StageOutput):
                source = by_key[value.stage]
                # A missing output is a generator bug, never a user error: fail loudly.
                assert value.output in source.output_names, f"{source.key} has no output {value.output}"
                parameters[name] = GetAtt(source.logical_id, f"Outputs.{value.output}")
            else:
                parameters[name] = value
        props: dict[str, object] = {"TemplateURL": stage.file_name}
        if parameters:
            props["Parameters"] = parameters
        # Explicit ordering only where no parameter already creates the dependency (cfn-lint W3005).
        referenced = {v.stage for v in stage.parameter_values.values() if isinstance(v, StageOutput)}
        depends = [by_key[key].logical_id for key in stage.depends_on if key not in referenced]
        if depends:
            props["DependsOn"] = depends
        b.add(cloudformation.Stack(stage.logical_id, **props))
        for root_name, stage_output, doc in stage.root_outputs:
            assert stage_output in stage.output_names, f"{stage.key} has no output {stage_output}"
            b.output(
                root_name,
                GetAtt(stage.logical_id, f"Outputs.{stage_output}"),
                doc,
                export=naming.export_name(env.platform, env.name, root_name),
            )
    return b
