"""Templates read without cfn-lint, exactly as cfn-lint's decoder reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from template_gen.errors import UsageError
from template_gen.review import cfn_yaml
from template_gen.review.templates import parse_template

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
HAND_WRITTEN = """\
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Condition: IsProd
    Properties:
      BucketName: !Sub '${AWS::StackName}-logs'
      Tags:
        - Key: arn
          Value: !GetAtt Role.Arn
        - Key: nested
          Value: !GetAtt [Role, Arn]
        - Key: pick
          Value: !Select [0, !GetAZs '']
        - Key: joined
          Value: !Join ['-', [a, !Ref 'AWS::Region']]
        - Key: yes-is-a-boolean
          Value: yes
Outputs:
  Name: {Value: !If [IsProd, !Ref Bucket, !Ref 'AWS::NoValue'], Condition: IsProd}
"""


def cfn_lint_reads(text: str) -> Any:
    template, matches = decode_str(text)
    assert matches == []
    return _plain(template)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*/expected/*/*.yaml")), ids=lambda p: str(p.relative_to(GOLDEN)))
def test_generated_templates_read_as_cfn_lint_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert cfn_yaml.loads(text) == cfn_lint_reads(text)


def test_short_form_intrinsics_read_as_cfn_lint_reads_them() -> None:
    data = cfn_yaml.loads(HAND_WRITTEN)
    assert data == cfn_lint_reads(HAND_WRITTEN)
    tags = data["Resources"]["Bucket"]["Properties"]["Tags"]
    assert [t["Value"] for t in tags] == [
        {"Fn::GetAtt": ["Role", "Arn"]},
        {"Fn::GetAtt": ["Role", "Arn"]},
        {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        {"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]},
        True,
    ]


def test_json_with_tabs_is_read_as_json() -> None:
    text = '{\n\t"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}\n}\n'
    assert cfn_yaml.loads(text) == cfn_lint_reads(text) == {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}


def test_a_repeated_key_is_refused_with_both_lines() -> None:
    with pytest.raises(UsageError) as error:
        parse_template("Resources:\n  A: {Type: AWS::SQS::Queue}\n  A: {Type: AWS::SNS::Topic}\n", "old/network.yaml")
    assert str(error.value) == ("old/network.yaml: not a CloudFormation template (key 'A' is repeated (lines 2 and 3))")


def test_a_yaml_alias_is_refused() -> None:
    with pytest.raises(UsageError) as error:
        parse_template("Parameters:\n  A: &p {Type: String}\n  B: *p\n", "old/template.yaml")
    assert str(error.value) == (
        "old/template.yaml: not a CloudFormation template (it uses a YAML alias (*name), which CloudFormation "
        "does not accept)"
    )


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(UsageError) as error:
        parse_template("Resources:\n  A: [unclosed\n", "old/api.yaml")
    assert str(error.value) == (
        "old/api.yaml: not a CloudFormation template (did not find expected ',' or ']' (line 3, column 1))"
    )


def test_a_list_is_not_a_template() -> None:
    with pytest.raises(UsageError) as error:
        parse_template("- a\n- b\n", "old/template.yaml")
    assert str(error.value) == "old/template.yaml: not a CloudFormation template (not a mapping)"
