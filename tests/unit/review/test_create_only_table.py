"""The create-only table that `diff` ships is exactly what cfn-lint's resource schemas say."""

from __future__ import annotations

from template_gen.review import create_only_table, schemas
from template_gen.review.schemas import CreateOnly, create_only


def test_the_shipped_table_equals_what_cfn_lint_says_in_every_region() -> None:
    # GIVEN the installed cfn-lint  WHEN the table is extracted again  THEN it is the shipped file, byte for byte
    # (after a cfn-lint upgrade: make create-only)
    assert create_only_table.render(create_only_table.extract()) == schemas.TABLE.read_text(encoding="utf-8")


def test_the_table_answers_as_the_schema_does() -> None:
    assert create_only("AWS::ElasticLoadBalancingV2::TargetGroup", "eu-west-1") == CreateOnly(
        always=(
            ("TargetType",),
            ("ProtocolVersion",),
            ("Port",),
            ("Name",),
            ("VpcId",),
            ("Protocol",),
            ("IpAddressType",),
        ),
        conditional=(),
    )


def test_custom_resources_read_as_cloudformation_custom_resources_and_unknown_types_as_unknown() -> None:
    assert create_only("Custom::Thing", "eu-west-1") == create_only("AWS::CloudFormation::CustomResource", "eu-west-1")
    assert create_only("Acme::Widget::Thing::MODULE", "eu-west-1") == CreateOnly((), ())
    assert create_only("Acme::Not::AType", "eu-west-1") is None
