"""`template-gen review` with the data-loss guard, against recorded-style change sets (botocore Stubber)
whose nested change sets replace the consumers table and move a service between compute shards: refused
with exit 4 and the change set deleted; --allow-data-loss lets exactly the named resources through, and
--execute runs the update under a stack policy that lets only them go."""

from __future__ import annotations

from pathlib import Path

from stub_events import STACK_TYPE
from stub_responses import (
    COMPUTE_CS,
    COMPUTE_STACK,
    NAME,
    ROOT_CS,
    STACK,
    STACK_ID,
    Aws,
    change_set,
    change_set_arn,
    detail,
    expect_create,
    expect_pages,
    expect_policy,
    expect_stack_resources,
    expect_wait,
    resource_change,
    review_dev,
    stack,
    stack_arn,
)

COMPUTE_2_STACK = "acme-dev-ComputeStack2-7HQ2B9D0K3XZ"
COMPUTE_2_CS = change_set_arn(f"{NAME}-ComputeStack2-7HQ2B9D0K3XZ", "9c0d1e20-c9a1-11ef-c3d4-0c4d5e6f7081")
IN_COMPUTE = f"in ComputeStack ({COMPUTE_STACK})"
TO_SHARD_2 = (
    f"moved to ComputeStack2 ({COMPUTE_2_STACK}), which CloudFormation does by creating a new one and deleting this one"
)
KEY_BEFORE = '[{"AttributeName":"pk","KeyType":"HASH"}]'
KEY_AFTER = '[{"AttributeName":"consumer_id","KeyType":"HASH"}]'


def expect_update(aws: Aws) -> None:
    aws.cfn_stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    expect_create(aws)
    expect_wait(aws, ["CREATE_COMPLETE"])


def expect_shard_move(aws: Aws) -> None:
    """quoting moves from ComputeStack to a new ComputeStack2, and the consumers table gets a new key."""
    root = change_set(
        ROOT_CS,
        STACK,
        "CREATE_COMPLETE",
        [
            resource_change(
                "Modify",
                "ComputeStack",
                STACK_TYPE,
                "False",
                ["Properties"],
                [detail("TemplateURL", "Never")],
                physical_id=stack_arn(COMPUTE_STACK),
                change_set_id=COMPUTE_CS,
            ),
            resource_change("Add", "ComputeStack2", STACK_TYPE, scope=[], details=[], change_set_id=COMPUTE_2_CS),
        ],
    )
    expect_pages(aws, ROOT_CS, [root])
    compute = change_set(
        COMPUTE_CS,
        COMPUTE_STACK,
        "CREATE_COMPLETE",
        [
            resource_change(
                "Modify",
                "ConsumersTable",
                "AWS::DynamoDB::Table",
                "Conditional",
                ["Properties"],
                [
                    detail("AttributeDefinitions", "Never", before=KEY_BEFORE, after=KEY_AFTER),
                    detail("KeySchema", "Conditionally", before=KEY_BEFORE, after=KEY_AFTER),
                ],
                physical_id="acme-dev-ComputeStack-1OX1E2C4JT3DH-ConsumersTable-5JKQ2P1F0Z8M",
                policy_action="ReplaceAndRetain",
            ),
            resource_change(
                "Remove",
                "QuotingLogGroup",
                "AWS::Logs::LogGroup",
                physical_id="/acme/dev/ecs/quoting",
                policy_action="Delete",
            ),
            resource_change(
                "Remove",
                "QuotingRepository",
                "AWS::ECR::Repository",
                physical_id="acme/dev/quoting",
                policy_action="Retain",
            ),
            resource_change(
                "Remove",
                "QuotingService",
                "AWS::ECS::Service",
                physical_id="arn:aws:ecs:eu-west-1:123456789012:service/acme-dev/acme-dev-quoting",
                policy_action="Delete",
            ),
        ],
        parent=ROOT_CS,
    )
    expect_pages(aws, COMPUTE_CS, [compute])
    compute_2 = change_set(
        COMPUTE_2_CS,
        COMPUTE_2_STACK,
        "CREATE_COMPLETE",
        [
            resource_change("Add", lid, type_, scope=[], details=[])
            for lid, type_ in [
                ("QuotingLogGroup", "AWS::Logs::LogGroup"),
                ("QuotingRepository", "AWS::ECR::Repository"),
                ("QuotingService", "AWS::ECS::Service"),
            ]
        ],
        parent=ROOT_CS,
    )
    expect_pages(aws, COMPUTE_2_CS, [compute_2])


REPORT_TAIL = [
    f"ComputeStack ({COMPUTE_STACK})",
    "  replace?  ConsumersTable     AWS::DynamoDB::Table  replacement: Conditional  scope: Properties",
    '      AttributeDefinitions: "[{\\"AttributeName\\":\\"pk\\",\\"KeyType\\":\\"HASH\\"}]" -> '
    '"[{\\"AttributeName\\":\\"consumer_id\\",\\"KeyType\\":\\"HASH\\"}]"',
    '      KeySchema: "[{\\"AttributeName\\":\\"pk\\",\\"KeyType\\":\\"HASH\\"}]" -> '
    '"[{\\"AttributeName\\":\\"consumer_id\\",\\"KeyType\\":\\"HASH\\"}]" [replacement: Conditional]',
    "  remove    QuotingLogGroup    AWS::Logs::LogGroup",
    "  remove    QuotingRepository  AWS::ECR::Repository",
    "  remove    QuotingService     AWS::ECS::Service",
    f"ComputeStack2 ({COMPUTE_2_STACK}) [new stack]",
    "  add  QuotingLogGroup    AWS::Logs::LogGroup",
    "  add  QuotingRepository  AWS::ECR::Repository",
    "  add  QuotingService     AWS::ECS::Service",
    "",
    "4 to add, 2 to change (1 conditional), 3 to remove",
    "",
]
TABLE_DATA = "every item in the table (the consumers table: the consumers and their API key hashes)"
KEPT_OLD = "; the old one is kept by its UpdateReplacePolicy, orphaned, and the new one starts empty"
MOVE_HINT = "    to keep the data, move it with stack refactoring or resource import (docs/deploying.md); "


def test_nested_replacements_and_moves_are_refused_and_the_change_set_is_deleted(project: Path, aws: Aws) -> None:
    expect_update(aws)
    expect_shard_move(aws)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})  # never executed
    result = review_dev(project, aws, "--execute")
    assert result.code == 4
    out = result.out.splitlines()
    assert out[out.index(REPORT_TAIL[0]) :] == [
        *REPORT_TAIL,
        f"refused: ConsumersTable (AWS::DynamoDB::Table) {IN_COMPUTE}: may be replaced, because of KeySchema",
        f"    data at risk: {TABLE_DATA}{KEPT_OLD}",
        "    to accept the loss: --allow-data-loss ConsumersTable",
        f"refused: QuotingLogGroup (AWS::Logs::LogGroup) {IN_COMPUTE}: {TO_SHARD_2}",
        "    data at risk: every log event in the group",
        MOVE_HINT + "to accept the loss: --allow-data-loss QuotingLogGroup",
        f"refused: QuotingRepository (AWS::ECR::Repository) {IN_COMPUTE}: {TO_SHARD_2}",
        "    data at risk: every image pushed to the repository",
        MOVE_HINT + "to accept the loss: --allow-data-loss QuotingRepository",
        f"deleted change set {NAME}: it would lose data (see above); nothing was executed",
    ]
    assert result.err.splitlines()[-1] == (
        "error: 3 changes would lose data; to accept the loss, pass --allow-data-loss ConsumersTable "
        "--allow-data-loss QuotingLogGroup --allow-data-loss QuotingRepository"
    )


def test_allowing_one_resource_leaves_the_others_refused(project: Path, aws: Aws) -> None:
    expect_update(aws)
    expect_shard_move(aws)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws, "--execute", "--allow-data-loss", "ConsumersTable")
    assert result.code == 4
    out = result.out.splitlines()
    assert [line.split(" (")[0] for line in out if line.startswith(("refused:", "allowed:"))] == [
        "refused: QuotingLogGroup",
        "refused: QuotingRepository",
        "allowed: ConsumersTable",
    ]
    assert result.err.splitlines()[-1] == (
        "error: 2 changes would lose data; to accept the loss, pass --allow-data-loss QuotingLogGroup "
        "--allow-data-loss QuotingRepository"
    )


def test_allowed_losses_execute_under_an_override_policy_then_the_standing_policy(project: Path, aws: Aws) -> None:
    expect_update(aws)
    expect_shard_move(aws)
    # For this update only: the root keeps the standing policy, the compute stack lets the three go.
    # The new ComputeStack2 does not exist yet.
    expect_policy(aws, STACK_ID)
    expect_policy(aws, COMPUTE_STACK, ("ConsumersTable", "QuotingLogGroup", "QuotingRepository"))
    aws.cfn_stub.add_response("execute_change_set", {}, {"ChangeSetName": ROOT_CS})
    aws.cfn_stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK_ID})
    # Afterwards: the standing policy on every stack, the new shard included.
    shards = [("ComputeStack", stack_arn(COMPUTE_STACK)), ("ComputeStack2", stack_arn(COMPUTE_2_STACK))]
    expect_stack_resources(aws, STACK_ID, shards)
    for _lid, arn in shards:
        expect_stack_resources(aws, arn, [])
    for name in (STACK_ID, *(arn for _lid, arn in shards)):
        expect_policy(aws, name)
    allow = ("--allow-data-loss", "ConsumersTable", "--allow-data-loss", "QuotingLogGroup")
    result = review_dev(project, aws, "--execute", *allow, "--allow-data-loss", "QuotingRepository")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == f"executed change set {NAME}: stack acme-dev is UPDATE_COMPLETE"
    assert [line.split(" (")[0] for line in result.out.splitlines() if line.startswith("allowed:")] == [
        "allowed: ConsumersTable",
        "allowed: QuotingLogGroup",
        "allowed: QuotingRepository",
    ]
    assert result.err.splitlines()[-1] == (
        "stack policy set on 3 stacks: stateful resources cannot be replaced or deleted by an update"
    )


def test_a_kept_repository_is_adopted_again_with_import_existing_resources(project: Path, aws: Aws) -> None:
    """quoting comes back (or lands in another shard) after an update that kept its repository: the change
    set imports the repository by its name instead of failing to create it."""
    aws.cfn_stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    expect_create(aws, ImportExistingResources=True)
    expect_wait(aws, ["CREATE_COMPLETE"])
    root = change_set(
        ROOT_CS,
        STACK,
        "CREATE_COMPLETE",
        [
            resource_change(
                "Modify",
                "ComputeStack",
                STACK_TYPE,
                "False",
                ["Properties"],
                [detail("TemplateURL", "Never")],
                physical_id=stack_arn(COMPUTE_STACK),
                change_set_id=COMPUTE_CS,
            )
        ],
    )
    expect_pages(aws, ROOT_CS, [root])
    compute = change_set(
        COMPUTE_CS,
        COMPUTE_STACK,
        "CREATE_COMPLETE",
        [
            resource_change("Import", "QuotingRepository", "AWS::ECR::Repository", physical_id="acme/dev/quoting"),
            resource_change("Add", "QuotingLogGroup", "AWS::Logs::LogGroup", scope=[], details=[]),
        ],
        parent=ROOT_CS,
    )
    expect_pages(aws, COMPUTE_CS, [compute])
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws, "--import-existing-resources")
    assert result.code == 0, result.err
    out = result.out.splitlines()
    assert out[out.index(f"ComputeStack ({COMPUTE_STACK})") :] == [
        f"ComputeStack ({COMPUTE_STACK})",
        "  import  QuotingRepository  AWS::ECR::Repository",
        "  add     QuotingLogGroup    AWS::Logs::LogGroup",
        "",
        "2 to add, 1 to change, 0 to remove",
        f"deleted change set {NAME} (--keep leaves it for execution, --execute runs it)",
    ]


COMPUTE_2_TEMPLATE = """{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "QuotingLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/acme/dev/ecs/quoting"}},
    "QuotingRepository": {
      "Type": "AWS::ECR::Repository",
      "DeletionPolicy": "Retain",
      "UpdateReplacePolicy": "Retain",
      "Properties": {"RepositoryName": "acme/dev/quoting"}
    },
    "QuotingTaskRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
  }
}"""


def test_a_removed_nested_stack_is_read_from_aws_and_judged_resource_by_resource(project: Path, aws: Aws) -> None:
    """The last service leaves shard 2, so the update removes ComputeStack2: the change set has one row
    for it and no nested change set, so review reads what the stack holds."""
    expect_update(aws)
    root = change_set(
        ROOT_CS,
        STACK,
        "CREATE_COMPLETE",
        [resource_change("Remove", "ComputeStack2", STACK_TYPE, physical_id=stack_arn(COMPUTE_2_STACK))],
    )
    expect_pages(aws, ROOT_CS, [root])
    when = stack("UPDATE_COMPLETE")["Stacks"][0]["CreationTime"]
    summaries = [
        {"LogicalResourceId": lid, "PhysicalResourceId": physical, "ResourceType": type_}
        | {"LastUpdatedTimestamp": when, "ResourceStatus": "CREATE_COMPLETE"}
        for lid, physical, type_ in [
            ("QuotingLogGroup", "/acme/dev/ecs/quoting", "AWS::Logs::LogGroup"),
            ("QuotingRepository", "acme/dev/quoting", "AWS::ECR::Repository"),
            ("QuotingTaskRole", "acme-dev-ComputeStack2-QuotingTaskRole-1A2B3C4D5E6F", "AWS::IAM::Role"),
        ]
    ]
    aws.cfn_stub.add_response(
        "list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": stack_arn(COMPUTE_2_STACK)}
    )
    aws.cfn_stub.add_response(
        "get_template",
        {"TemplateBody": COMPUTE_2_TEMPLATE, "StagesAvailable": ["Original", "Processed"]},
        {"StackName": stack_arn(COMPUTE_2_STACK), "TemplateStage": "Processed"},
    )
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws)
    assert result.code == 4
    out = result.out.splitlines()
    in_shard_2 = f"in ComputeStack2 ({COMPUTE_2_STACK})"
    assert out[out.index("acme-dev (root)") :] == [
        "acme-dev (root)",
        "  remove  ComputeStack2  AWS::CloudFormation::Stack",
        f"ComputeStack2 ({COMPUTE_2_STACK}) [stack removed]",
        "  remove  QuotingLogGroup    AWS::Logs::LogGroup",
        "  remove  QuotingRepository  AWS::ECR::Repository",
        "  remove  QuotingTaskRole    AWS::IAM::Role",
        "",
        "0 to add, 0 to change, 4 to remove",
        "",
        f"refused: QuotingLogGroup (AWS::Logs::LogGroup) {in_shard_2}: deleted (it is no longer in the template)",
        "    data at risk: every log event in the group",
        "    to accept the loss: --allow-data-loss QuotingLogGroup",
        f"kept: QuotingRepository (AWS::ECR::Repository) {in_shard_2}: removed from the stack but kept by its "
        "DeletionPolicy, so it is orphaned, not lost",
        "    still there: every image pushed to the repository",
        "    to adopt it again: put it back in the template with DeletionPolicy Retain and import it with a change "
        'set of type IMPORT, --resources-to-import \'[{"ResourceType": "AWS::ECR::Repository", "LogicalResourceId": '
        '"QuotingRepository", "ResourceIdentifier": {"RepositoryName": "acme/dev/quoting"}}]\' (docs/deploying.md)',
        f"deleted change set {NAME}: it would lose data (see above); nothing was executed",
    ]


def test_a_removed_nested_stack_that_cannot_be_read_is_refused_whole(project: Path, aws: Aws) -> None:
    expect_update(aws)
    root = change_set(
        ROOT_CS,
        STACK,
        "CREATE_COMPLETE",
        [resource_change("Remove", "ComputeStack2", STACK_TYPE, physical_id=stack_arn(COMPUTE_2_STACK))],
    )
    expect_pages(aws, ROOT_CS, [root])
    aws.cfn_stub.add_client_error(
        "list_stack_resources",
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/deployer/ci is not authorized to perform: "
        "cloudformation:ListStackResources",
        403,
        expected_params={"StackName": stack_arn(COMPUTE_2_STACK)},
    )
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws, "--allow-data-loss", "ComputeStack2")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-4:] == [
        "allowed: ComputeStack2 (AWS::CloudFormation::Stack) in acme-dev (root): deleted, with every resource in "
        "it (the change set does not list them)",
        "    data at risk: whatever its stateful resources hold",
        "    allowed by --allow-data-loss ComputeStack2",
        f"deleted change set {NAME} (--keep leaves it for execution, --execute runs it)",
    ]
    assert "warning: could not read the resources of the removed stack ComputeStack2: " in result.err
