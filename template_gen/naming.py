"""Every name the generator produces comes from here: logical IDs, stack, export, log group, ECR and
function names. The registry's name rules are chosen so that every derived name fits its AWS limit;
`check_*` functions return a message when a name breaks a rule, and the derived-name functions assert
the limit so that a bug can never emit a name AWS would reject."""

from __future__ import annotations

import re

PLATFORM_MAX = 16
ENVIRONMENT_MAX = 10
SERVICE_MAX = 32

# AWS limits of the names derived below.
STACK_NAME_MAX = 128
LOGICAL_ID_MAX = 255
FUNCTION_NAME_MAX = 64
ECR_REPOSITORY_MAX = 256
LOG_GROUP_MAX = 512
EXPORT_NAME_MAX = 255
TARGET_GROUP_NAME_MAX = 32
SSM_PARAMETER_MAX = 1011
EVENT_RULE_NAME_MAX = 64
ALARM_NAME_MAX = 255
DASHBOARD_NAME_MAX = 255

_HYPHENATED_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")  # platform and service names (also no "--")
_ENVIRONMENT_RE = re.compile(r"^[a-z][a-z0-9]*$")
_WORD_RE = re.compile(r"[A-Za-z0-9]+")

# Folders under services/ and names of the platform's own functions.
RESERVED_SERVICE_NAMES = frozenset(
    {"environments", "platform", "admin", "api-key-validator", "onboarding", "reconciler", "catalog"}
)


def _check_hyphenated_name(name: str, kind: str, limit: int, why: str = "") -> str | None:
    if not _HYPHENATED_RE.match(name) or "--" in name:
        return (
            f"'{name}' is not a valid {kind} name: use lowercase letters, digits and single hyphens, "
            "starting with a letter and not ending with a hyphen"
        )
    if len(name) > limit:
        return f"'{name}' is {len(name)} characters long; {kind} names are at most {limit}{why}"
    return None


def check_platform_name(name: str) -> str | None:
    return _check_hyphenated_name(name, "platform", PLATFORM_MAX)


def check_environment_name(name: str) -> str | None:
    if not _ENVIRONMENT_RE.match(name):
        return f"'{name}' is not a valid environment name: use lowercase letters and digits, starting with a letter"
    if len(name) > ENVIRONMENT_MAX:
        return f"'{name}' is {len(name)} characters long; environment names are at most {ENVIRONMENT_MAX}"
    return None


def check_service_name(name: str) -> str | None:
    why = " so that derived names (target groups, functions, ECR repositories) fit AWS limits"
    problem = _check_hyphenated_name(name, "service", SERVICE_MAX, why)
    if problem:
        return problem
    if name in RESERVED_SERVICE_NAMES:
        return f"'{name}' is reserved by the platform; choose another service name"
    return None


def camel(*parts: str) -> str:
    """`camel("product-pricing", "service")` -> `ProductPricingService` (a valid logical ID fragment)."""
    words: list[str] = []
    for part in parts:
        words.extend(_WORD_RE.findall(part))
    return "".join(w[:1].upper() + w[1:] for w in words)


def logical_id(*parts: str) -> str:
    lid = camel(*parts)
    assert lid and len(lid) <= LOGICAL_ID_MAX, lid
    return lid


def stack_name(platform: str, environment: str) -> str:
    name = f"{platform}-{environment}"
    assert len(name) <= STACK_NAME_MAX
    return name


def export_name(platform: str, environment: str, key: str) -> str:
    name = f"{platform}-{environment}-{key}"
    assert len(name) <= EXPORT_NAME_MAX
    return name


def function_name(platform: str, environment: str, function: str) -> str:
    name = f"{platform}-{environment}-{function}"
    assert len(name) <= FUNCTION_NAME_MAX, name
    return name


def task_family(platform: str, environment: str, service: str) -> str:
    name = f"{platform}-{environment}-{service}"
    assert len(name) <= 255
    return name


def ecr_repository_name(platform: str, environment: str, service: str) -> str:
    name = f"{platform}/{environment}/{service}".lower()
    assert len(name) <= ECR_REPOSITORY_MAX
    return name


def table_name(platform: str, environment: str, table: str) -> str:
    """A DynamoDB table name (3-255 characters); fixed, so a retained table can be found and reattached."""
    name = f"{platform}-{environment}-{table}"
    assert 3 <= len(name) <= 255
    return name


def log_group_name(platform: str, environment: str, *parts: str) -> str:
    name = "/".join(("", platform, environment, *parts))
    assert len(name) <= LOG_GROUP_MAX
    return name


def ssm_parameter_name(platform: str, environment: str, key: str) -> str:
    name = f"/{platform}/{environment}/{key}"
    assert len(name) <= SSM_PARAMETER_MAX
    return name


def bounded(name: str, limit: int) -> str:
    """`name` if it fits, else a prefix of it plus a short hash of the whole, so names stay unique and stable."""
    if len(name) <= limit:
        return name
    import hashlib  # here: loading OpenSSL's digests is a tenth of `validate`'s start-up, which never needs it

    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def event_rule_name(platform: str, environment: str, service: str, event: str) -> str:
    return bounded(f"{platform}-{environment}-{service}-{event}", EVENT_RULE_NAME_MAX)


def alb_id(index: int) -> str:
    """Logical ID (and output prefix) of the environment's `index`-th internal ALB: Alb, Alb2, Alb3, ..."""
    return "Alb" if index == 1 else f"Alb{index}"


def nlb_port(index: int) -> int:
    """The NLB listener port in front of the `index`-th ALB."""
    return 79 + index


# With TLS to the ALBs (security.alb_certificate_arn), the NLB's TCP listeners pass TLS through from 443 up;
# without, they carry plain HTTP from 80 up (never near 443: an environment has a handful of ALBs).
NLB_TLS_FIRST_PORT = 443


def nlb_tls_port(index: int) -> int:
    """The NLB listener port, passing TLS through, in front of the `index`-th ALB."""
    return NLB_TLS_FIRST_PORT - 1 + index


def code_dir_for(function: str) -> str:
    """Code folder of a function: `functions/<name with underscores>` (a platform function, or the default
    of a `kind: lambda` service)."""
    return "functions/" + function.replace("-", "_")


def alarm_name(platform: str, environment: str, subject: str, alarm: str) -> str:
    """`acme-dev-quoting-target-5xx`: deterministic, so the ECS service can name its rollback alarms before
    the observability stage creates them."""
    return bounded(f"{platform}-{environment}-{subject}-{alarm}", ALARM_NAME_MAX)


def dashboard_name(platform: str, environment: str, region: str, shard: int = 1, page: int = 1) -> str:
    """Dashboards are global per account, so the name carries the Region and the environment:
    `acme-dev-eu-west-1`, then `-2`, ... for pages split off at the quotas, `-shard2` for later shards."""
    name = f"{platform}-{environment}-{region}"
    if shard > 1:
        name += f"-shard{shard}"
    if page > 1:
        name += f"-{page}"
    assert len(name) <= DASHBOARD_NAME_MAX and re.match(r"^[A-Za-z0-9_-]+$", name), name
    return name


def query_name(platform: str, environment: str, query: str) -> str:
    """Saved Logs Insights queries in a folder per environment (a `/` makes a folder in the console)."""
    return f"{platform}/{environment}/{query}"
