"""Property paths, references and the one-line rendering of template values."""

from __future__ import annotations

from template_gen.review.model import ABSENT
from template_gen.review.values import Keyed, diff_values, format_path, references, show


def test_objects_and_named_list_items_give_readable_paths() -> None:
    before = {
        "ContainerDefinitions": [
            {"Name": "app", "Environment": [{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}]}
        ]
    }
    after = {
        "ContainerDefinitions": [
            {"Name": "app", "Environment": [{"Name": "A", "Value": "9"}, {"Name": "C", "Value": "3"}]}
        ]
    }
    assert [(format_path(p), b, a) for p, b, a in diff_values(before, after)] == [
        ("ContainerDefinitions[Name=app].Environment[Name=A].Value", "1", "9"),
        ("ContainerDefinitions[Name=app].Environment[Name=B]", {"Name": "B", "Value": "2"}, ABSENT),
        ("ContainerDefinitions[Name=app].Environment[Name=C]", ABSENT, {"Name": "C", "Value": "3"}),
    ]


def test_lists_without_names_compare_by_position_or_by_what_was_inserted_or_deleted() -> None:
    assert list(diff_values({"P": [1, 2]}, {"P": [1, 3]})) == [(("P", 1), 2, 3)]
    assert list(diff_values({"P": [{"a": 1}]}, {"P": [{"a": 1}, {"a": 2}]})) == [(("P", 1), ABSENT, {"a": 2})]
    assert list(diff_values({"P": [1, 2, 3]}, {"P": [1, 3]})) == [(("P", 1), 2, ABSENT)]
    # neither only an insertion nor only a deletion: the whole list
    assert list(diff_values({"P": [1, 2, 3]}, {"P": [4, 5]})) == [(("P",), [1, 2, 3], [4, 5])]


def test_a_reordered_named_list_is_one_change() -> None:
    before = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    after = [before[1], before[0]]
    assert list(diff_values({"Tags": before}, {"Tags": after})) == [(("Tags",), before, after)]


def test_an_intrinsic_function_is_compared_as_a_whole() -> None:
    before = {"Image": {"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":1"]]}}
    after = {"Image": {"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":2"]]}}
    assert list(diff_values(before, after)) == [(("Image",), before["Image"], after["Image"])]


def test_references_name_resources_parameters_and_attributes_but_not_pseudo_parameters() -> None:
    value = {
        "A": {"Ref": "VpcId"},
        "B": {"Fn::GetAtt": ["Role", "Arn"]},
        "C": {"Fn::GetAtt": "Bucket.Arn"},
        "D": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${Table.Arn}/${!Literal}"},
        "E": {"Fn::Sub": ["${Own}-${Queue}", {"Own": {"Ref": "Topic"}}]},
        "F": {"Ref": "AWS::Region"},
    }
    assert references(value) == {
        ("VpcId", ""),
        ("Role", "Arn"),
        ("Bucket", "Arn"),
        ("Bucket", ""),
        ("Table", "Arn"),
        ("Queue", ""),
        ("Topic", ""),
    }


def test_values_are_shown_on_one_line_in_short_form() -> None:
    assert show("30") == '"30"'
    assert show(30) == "30"
    assert show(ABSENT) == "(not set)"
    assert show({"Ref": "Vpc"}) == "!Ref Vpc"
    assert show({"Fn::GetAtt": ["NetworkStack", "Outputs.VpcId"]}) == "!GetAtt NetworkStack.Outputs.VpcId"
    assert show({"Fn::Select": [0, {"Ref": "Cidrs"}]}) == "!Select [0, !Ref Cidrs]"
    assert show({"a": [1, {"Fn::Sub": "${X}"}]}) == '{a: [1, !Sub "${X}"]}'
    assert show("x" * 300) == '"' + "x" * 198 + "…"
    assert format_path(("Tags", Keyed("Key", "team"), "Value")) == "Tags[Key=team].Value"
