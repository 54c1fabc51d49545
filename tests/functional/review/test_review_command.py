"""template-gen review against recorded-style CloudFormation responses (botocore Stubber): nested
change sets, pagination, replacement, create vs update, no changes, failures, keep and execute."""

from __future__ import annotations

import json
from pathlib import Path

from stub_events import REPORT, STACK_TYPE, expect_failure_events
from stub_responses import (
    COMPUTE_CS,
    COMPUTE_STACK,
    NAME,
    NETWORK_CS,
    NETWORK_STACK,
    ROOT_CS,
    STACK,
    STACK_ID,
    Aws,
    change_set,
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


def expect_update(aws: Aws, statuses: list[str], reason: str | None = None) -> None:
    """The stack exists, so review creates an UPDATE change set and polls it through `statuses`."""
    aws.cfn_stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    expect_create(aws)
    expect_wait(aws, statuses, reason)


def expect_nested_update(aws: Aws) -> None:
    """The root change set, two pages; a nested change set per stage below it."""
    root_page_1 = change_set(
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
                physical_id=STACK_ID.replace("acme-dev", COMPUTE_STACK),
                change_set_id=COMPUTE_CS,
            )
        ],
        next_token="eyJwYWdlIjogMn0=",
    )
    root_page_2 = change_set(
        ROOT_CS,
        STACK,
        "CREATE_COMPLETE",
        [
            resource_change(
                "Modify",
                "NetworkStack",
                STACK_TYPE,
                "False",
                ["Properties"],
                [
                    detail(
                        "Parameters",
                        "Never",
                        before='{"FlowLogRetentionDays":"30"}',
                        after='{"FlowLogRetentionDays":"14"}',
                    )
                ],
                physical_id=STACK_ID.replace("acme-dev", NETWORK_STACK),
                change_set_id=NETWORK_CS,
            )
        ],
    )
    expect_pages(aws, ROOT_CS, [root_page_1, root_page_2])
    compute = change_set(
        COMPUTE_CS,
        COMPUTE_STACK,
        "CREATE_COMPLETE",
        [
            resource_change("Add", "BillingService", "AWS::ECS::Service", scope=[], details=[]),
            resource_change(
                "Modify",
                "QuotingTargetGroup",
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                "True",
                ["Properties"],
                [detail("Port", "Always", before="8080", after="9090")],
                physical_id="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/acme-dev-quoting/6d0ecf831eec9f09",
            ),
            resource_change(
                "Modify",
                "QuotingListenerRule",
                "AWS::ElasticLoadBalancingV2::ListenerRule",
                "False",
                ["Properties"],
                [detail("Actions", "Never", "ResourceReference", "QuotingTargetGroup", evaluation="Dynamic")],
            ),
            resource_change(
                "Modify",
                "ProductPricingTargetGroup",
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Conditional",
                ["Properties"],
                [detail("VpcId", "Conditionally", "ParameterReference", "VpcId", evaluation="Dynamic")],
            ),
            resource_change(
                "Remove",
                "LegacyLogGroup",
                "AWS::Logs::LogGroup",
                physical_id="/acme/dev/legacy",
                policy_action="Retain",
            ),
        ],
        parent=ROOT_CS,
    )
    expect_pages(aws, COMPUTE_CS, [compute])
    network = change_set(
        NETWORK_CS,
        NETWORK_STACK,
        "CREATE_COMPLETE",
        [
            resource_change(
                "Modify",
                "FlowLogGroup",
                "AWS::Logs::LogGroup",
                "False",
                ["Properties", "Tags"],
                [
                    detail("RetentionInDays", "Never", "ParameterReference", "FlowLogRetentionDays", "30", "14"),
                    detail("Tags", "Never", attribute="Tags"),
                ],
            )
        ],
        parent=ROOT_CS,
    )
    expect_pages(aws, NETWORK_CS, [network])


GROUPED_VIEW = [
    f"dev: change set {NAME} (UPDATE) for stack acme-dev in eu-west-1",
    "",
    "acme-dev (root)",
    "  modify  ComputeStack  AWS::CloudFormation::Stack  replacement: False  scope: Properties",
    "      TemplateURL",
    "  modify  NetworkStack  AWS::CloudFormation::Stack  replacement: False  scope: Properties",
    '      Parameters: "{\\"FlowLogRetentionDays\\":\\"30\\"}" -> "{\\"FlowLogRetentionDays\\":\\"14\\"}"',
    f"ComputeStack ({COMPUTE_STACK})",
    "  replace   QuotingTargetGroup         AWS::ElasticLoadBalancingV2::TargetGroup   replacement: True         scope: Properties",
    '      Port: "8080" -> "9090" [replacement: True]',
    "  replace?  ProductPricingTargetGroup  AWS::ElasticLoadBalancingV2::TargetGroup   replacement: Conditional  scope: Properties",
    "      VpcId (via parameter VpcId) [replacement: Conditional]",
    "  remove    LegacyLogGroup             AWS::Logs::LogGroup",
    "  modify    QuotingListenerRule        AWS::ElasticLoadBalancingV2::ListenerRule  replacement: False        scope: Properties",
    "      Actions (via resource QuotingTargetGroup)",
    "  add       BillingService             AWS::ECS::Service",
    f"NetworkStack ({NETWORK_STACK})",
    "  modify  FlowLogGroup  AWS::Logs::LogGroup  replacement: False  scope: Properties, Tags",
    '      RetentionInDays: "30" -> "14" (via parameter FlowLogRetentionDays)',
    "      Tags",
    "",
    "1 to add, 6 to change (1 replacement, 1 conditional), 1 to remove",
    "",
    f"kept: LegacyLogGroup (AWS::Logs::LogGroup) in ComputeStack ({COMPUTE_STACK}): removed from the stack but "
    "kept by its DeletionPolicy, so it is orphaned, not lost",
    "    still there: every log event in the group",
    "    to adopt it again: put it back in the template with DeletionPolicy Retain and import it with a change "
    'set of type IMPORT, --resources-to-import \'[{"ResourceType": "AWS::Logs::LogGroup", "LogicalResourceId": '
    '"LegacyLogGroup", "ResourceIdentifier": {"LogGroupName": "/acme/dev/legacy"}}]\' (docs/deploying.md)',
]


def test_review_walks_every_nested_change_set_and_deletes_the_change_set(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"])
    expect_nested_update(aws)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        *GROUPED_VIEW,
        f"deleted change set {NAME} (--keep leaves it for execution, --execute runs it)",
    ]
    # One line per state change, not per poll.
    assert result.err.splitlines() == [
        f"change set {NAME}: CREATE_PENDING",
        f"change set {NAME}: CREATE_IN_PROGRESS",
        f"change set {NAME}: CREATE_COMPLETE",
    ]


def test_keep_leaves_the_change_set_and_json_describes_it(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    result = review_dev(project, aws, "--keep", "--format", "json", "--exit-code")
    assert result.code == 3  # --exit-code: the change set has changes
    data = json.loads(result.out)
    assert data["change_set"] == {
        "name": NAME,
        "id": ROOT_CS,
        "type": "UPDATE",
        "outcome": "kept",
        "stack_status": None,
    }
    assert (data["environment"], data["stack_name"], data["region"]) == ("dev", "acme-dev", "eu-west-1")
    assert data["summary"] == {
        "add": 1,
        "change": 6,
        "replace": 1,
        "conditional_replace": 1,
        "remove": 1,
        "parameters": 0,
        "outputs": 0,
    }
    assert [(s["logical_id"], s["stack_name"], s["change_set_id"]) for s in data["stacks"]] == [
        (None, STACK, ROOT_CS),
        ("ComputeStack", COMPUTE_STACK, COMPUTE_CS),
        ("NetworkStack", NETWORK_STACK, NETWORK_CS),
    ]
    assert data["stacks"][1]["resources"][0] == {
        "action": "modify",
        "logical_id": "QuotingTargetGroup",
        "type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "replacement": "True",
        "scope": ["Properties"],
        "physical_id": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/acme-dev-quoting/6d0ecf831eec9f09",
        "details": [
            {"attribute": "Properties", "path": "Port", "before": "8080", "after": "9090", "replacement": "True"}
        ],
    }


def test_keep_in_text_says_how_to_execute_the_change_set(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    result = review_dev(project, aws, "--keep")
    assert result.out.splitlines()[-2:] == [
        f"kept change set {NAME}; execute it from the CloudFormation console, or with",
        f"    aws cloudformation execute-change-set --change-set-name {ROOT_CS} --region eu-west-1",
    ]


def test_a_stack_that_does_not_exist_is_reviewed_as_a_create_and_the_empty_stack_is_removed(
    project: Path, aws: Aws
) -> None:
    aws.cfn_stub.add_client_error(
        "describe_stacks",
        "ValidationError",
        "Stack with id acme-dev does not exist",
        400,
        expected_params={"StackName": STACK},
    )
    expect_create(aws, "CREATE")
    expect_wait(aws, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"])
    root = change_set(
        ROOT_CS,
        STACK,
        "CREATE_COMPLETE",
        [resource_change("Add", "NetworkStack", STACK_TYPE, scope=[], details=[], change_set_id=NETWORK_CS)],
    )
    expect_pages(aws, ROOT_CS, [root])
    network = change_set(
        NETWORK_CS,
        NETWORK_STACK,
        "CREATE_COMPLETE",
        [resource_change("Add", "Vpc", "AWS::EC2::VPC", scope=[], details=[])],
        parent=ROOT_CS,
    )
    expect_pages(aws, NETWORK_CS, [network])
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    aws.cfn_stub.add_response("delete_stack", {}, {"StackName": STACK_ID})
    result = review_dev(project, aws)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"dev: change set {NAME} (CREATE) for stack acme-dev in eu-west-1",
        "",
        "acme-dev (root)",
        "  add  NetworkStack  AWS::CloudFormation::Stack",
        f"NetworkStack ({NETWORK_STACK}) [new stack]",
        "  add  Vpc  AWS::EC2::VPC",
        "",
        "2 to add, 0 to change, 0 to remove",
        f"deleted change set {NAME} (--keep leaves it for execution, --execute runs it)",
    ]
    assert result.err.splitlines()[0] == "stack acme-dev does not exist yet: the change set creates it"


def test_a_review_in_progress_leftover_is_reviewed_as_a_create_and_left_alone(project: Path, aws: Aws) -> None:
    aws.cfn_stub.add_response("describe_stacks", stack("REVIEW_IN_PROGRESS"), {"StackName": STACK})
    expect_create(aws, "CREATE")
    expect_wait(aws, ["CREATE_COMPLETE"])
    expect_pages(aws, ROOT_CS, [change_set(ROOT_CS, STACK, "CREATE_COMPLETE", [])])
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})  # and no delete_stack
    result = review_dev(project, aws)
    assert result.code == 0, result.err
    assert (
        result.err.splitlines()[0] == "stack acme-dev is REVIEW_IN_PROGRESS (never deployed): the change set creates it"
    )


def test_no_changes_is_not_an_error(project: Path, aws: Aws) -> None:
    reason = "The submitted information didn't contain changes. Submit different information to create a change set."
    expect_update(aws, ["CREATE_PENDING", "FAILED"], reason)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws, "--exit-code")
    assert result.code == 0
    assert result.out.splitlines() == [
        f"dev: change set {NAME} (UPDATE) for stack acme-dev in eu-west-1",
        "",
        "no changes",
        f"stack acme-dev already matches the template; deleted change set {NAME}",
    ]
    assert result.err.splitlines() == [f"change set {NAME}: CREATE_PENDING", f"change set {NAME}: FAILED"]


def test_a_failed_change_set_reports_the_aws_reason_and_the_nested_one(project: Path, aws: Aws) -> None:
    reason = f"Nested change set {COMPUTE_CS} was not successfully created: Currently in FAILED."
    expect_update(aws, ["CREATE_IN_PROGRESS", "FAILED"], reason)
    nested_reason = (
        "Requires capabilities : [CAPABILITY_NAMED_IAM] (Service: AmazonCloudFormation; Status Code: 400; "
        "Error Code: InsufficientCapabilitiesException)"
    )
    aws.cfn_stub.add_response(
        "describe_change_set",
        change_set(COMPUTE_CS, COMPUTE_STACK, "FAILED", reason=nested_reason, parent=ROOT_CS),
        {"ChangeSetName": COMPUTE_CS},
    )
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = review_dev(project, aws)
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        f"change set {NAME}: CREATE_IN_PROGRESS",
        f"change set {NAME}: FAILED",
        f"error: change set {NAME} failed: {reason}",
        f"    {COMPUTE_STACK}: {nested_reason}",
    ]


def expect_override_policies(aws: Aws) -> None:
    """Before the execution: each stack the change set updates gets the policy for this update; the
    compute stack's lets its kept LegacyLogGroup go (a removal is Update:Delete, Retain or not)."""
    expect_policy(aws, STACK_ID)
    expect_policy(aws, COMPUTE_STACK, ("LegacyLogGroup",))
    expect_policy(aws, NETWORK_STACK)


def expect_standing_policies(aws: Aws) -> None:
    """After it: the standing policy on the root and on every nested stack ListStackResources finds."""
    expect_stack_resources(
        aws, STACK_ID, [("ComputeStack", stack_arn(COMPUTE_STACK)), ("NetworkStack", stack_arn(NETWORK_STACK))]
    )
    expect_stack_resources(aws, stack_arn(COMPUTE_STACK), [])
    expect_stack_resources(aws, stack_arn(NETWORK_STACK), [])
    for name in (STACK_ID, stack_arn(COMPUTE_STACK), stack_arn(NETWORK_STACK)):
        expect_policy(aws, name)


def test_execute_runs_the_change_set_and_waits_for_the_stack(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    expect_override_policies(aws)
    aws.cfn_stub.add_response("execute_change_set", {}, {"ChangeSetName": ROOT_CS})
    for status in (
        "UPDATE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ):
        aws.cfn_stub.add_response("describe_stacks", stack(status), {"StackName": STACK_ID})
    expect_standing_policies(aws)
    result = review_dev(project, aws, "--execute")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [*GROUPED_VIEW, f"executed change set {NAME}: stack acme-dev is UPDATE_COMPLETE"]
    assert result.err.splitlines() == [
        f"change set {NAME}: CREATE_COMPLETE",
        "stack acme-dev: UPDATE_IN_PROGRESS",
        "stack acme-dev: UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "stack acme-dev: UPDATE_COMPLETE",
        "stack policy set on 3 stacks: stateful resources cannot be replaced or deleted by an update",
    ]


def test_a_failed_execution_names_the_root_cause_in_the_nested_stack(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    expect_override_policies(aws)
    aws.cfn_stub.add_response("execute_change_set", {}, {"ChangeSetName": ROOT_CS})
    aws.cfn_stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": STACK_ID})
    aws.cfn_stub.add_response(
        "describe_stacks",
        stack("UPDATE_ROLLBACK_COMPLETE", "The following resource(s) failed to update: [ComputeStack]."),
        {"StackName": STACK_ID},
    )
    expect_failure_events(aws.cfn_stub)
    expect_standing_policies(aws)  # the override ends even when the update rolls back
    result = review_dev(project, aws, "--execute")
    assert result.code == 1
    assert result.err.splitlines()[-4:] == [
        "error: stack acme-dev ended UPDATE_ROLLBACK_COMPLETE: The following resource(s) failed to update: [ComputeStack].",
        *REPORT,
    ]
