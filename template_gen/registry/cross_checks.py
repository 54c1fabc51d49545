"""Rules that involve several services of one environment: priorities, overlapping paths, base paths
per API, API key sources, the admin route, and the platform functions the services rely on."""

from __future__ import annotations

from pathlib import Path

from template_gen.quotas import APIS_BY_EXPOSURE
from template_gen.registry import paths, rules
from template_gen.registry.entries import Problems, ServiceEntry, report
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.registry.models import EcsService, Environment

PLATFORM_FUNCTION_CODE = {"api_key_validator": "functions/api_key_validator", "onboarding": "functions/onboarding"}


def platform_functions(
    project_dir: Path, env: Environment, env_name: str, entries: list[ServiceEntry], problems: Problems
) -> None:
    functions = env.platform_functions
    for key, folder in PLATFORM_FUNCTION_CODE.items():
        if getattr(functions, key).enabled and not (project_dir / folder / "app.py").is_file():
            problems.add(
                REGISTRY_FILE,
                ("environments", env_name, "platform_functions", key),
                f"is enabled but its code ({folder}/app.py) is missing",
                f"restore {folder} or set platform_functions.{key}.enabled: false",
            )
    if not functions.api_key_validator.enabled:
        for entry in entries:
            if entry.model.api.auth == "authorizer" and entry.model.api.exposure != "none":
                report(
                    problems,
                    entry,
                    env_name,
                    rules.Finding(
                        ("api", "auth"),
                        f"'authorizer' needs the platform's API key validator, which is "
                        f"disabled in environment '{env_name}'",
                        hint="use auth: api_key, or enable platform_functions.api_key_validator",
                    ),
                )


def cross_service(entries: list[ServiceEntry], env_name: str, problems: Problems) -> None:
    # Listener rule priorities are unique per listener.
    by_priority: dict[int, ServiceEntry] = {}
    for entry in entries:
        if not isinstance(entry.model, EcsService) or entry.model.alb is None:
            continue
        priority = entry.model.alb.priority
        first = by_priority.setdefault(priority, entry)
        if first is not entry:
            report(
                problems,
                entry,
                env_name,
                rules.Finding(
                    ("alb", "priority"),
                    f"{priority} is already used by {first.file}",
                    hint="every ECS service needs its own listener rule priority",
                ),
            )

    # No path may be routed to two services by the ALB. One problem per pair of services, on the service
    # that chose explicit patterns (else the later one by name), naming the other and a path both match.
    owners = {e.name: e for e in entries}
    patterns = [(e.name, p) for e in entries if isinstance(e.model, EcsService) for p in e.alb_patterns()]
    reported: set[tuple[str, str]] = set()
    for owner_a, pat_a, owner_b, pat_b, witness in paths.overlapping_pairs(patterns):
        pair = tuple(sorted((owner_a, owner_b)))
        if pair in reported:
            continue
        reported.add(pair)  # type: ignore[arg-type]
        a, b = owners[owner_a], owners[owner_b]
        explicit_a, explicit_b = _explicit_patterns(a), _explicit_patterns(b)
        blame_b = explicit_b if explicit_a != explicit_b else owner_b > owner_a
        (mine, theirs, me, other) = (pat_b, pat_a, b, a) if blame_b else (pat_a, pat_b, a, b)
        field: tuple[str | int, ...] = ("api", "base_path")
        if _explicit_patterns(me):
            field = ("alb", "path_patterns", me.alb_patterns().index(mine))
        report(
            problems,
            me,
            env_name,
            rules.Finding(
                field,
                f"ALB path pattern '{mine}' overlaps '{theirs}' of {other.file} (both match '{witness}')",
                hint="give each service its own path prefix; the ALB would send these requests to whichever "
                "rule has the lower priority",
            ),
        )

    # One base path per API.
    claimed: dict[tuple[str, str], ServiceEntry] = {}
    for entry in entries:
        api = entry.model.api
        for which in APIS_BY_EXPOSURE[api.exposure]:
            first = claimed.setdefault((which, str(api.base_path)), entry)
            if first is not entry:
                report(
                    problems,
                    entry,
                    env_name,
                    rules.Finding(
                        ("api", "base_path"),
                        f"'{api.base_path}' is already used on the {which} API by {first.file}",
                    ),
                )


def _explicit_patterns(entry: ServiceEntry) -> bool:
    model = entry.model
    return isinstance(model, EcsService) and model.alb is not None and model.alb.path_patterns is not None


def api_rules(env: Environment, env_name: str, entries: list[ServiceEntry], problems: Problems) -> None:
    # A REST API has one API key source: HEADER (auth: api_key) or AUTHORIZER (auth: authorizer).
    key_source: dict[str, ServiceEntry] = {}
    for entry in entries:
        auth = entry.model.api.auth
        if auth not in ("api_key", "authorizer"):
            continue
        for which in APIS_BY_EXPOSURE[entry.model.api.exposure]:
            first = key_source.setdefault(which, entry)
            if first.model.api.auth != auth:
                report(
                    problems,
                    entry,
                    env_name,
                    rules.Finding(
                        ("api", "auth"),
                        f"'{auth}' cannot share the {which} API with '{first.model.api.auth}' "
                        f"({first.file}): a REST API has one API key source",
                        hint="use the same auth for every keyed service of an API (authorizer also meters API keys)",
                    ),
                )
    # The onboarding admin API owns its base path on its API.
    if env.platform_functions.onboarding.enabled:
        admin = env.api.admin
        for entry in entries:
            base = str(entry.model.api.base_path)
            on_same_api = admin.exposure in APIS_BY_EXPOSURE[entry.model.api.exposure]
            if on_same_api and (base == admin.base_path or base.startswith(admin.base_path + "/")):
                report(
                    problems,
                    entry,
                    env_name,
                    rules.Finding(
                        ("api", "base_path"),
                        f"'{base}' is taken by the platform's admin API ({admin.base_path}) "
                        f"on the {admin.exposure} API",
                        hint="choose another base path, or move the admin API with api.admin.base_path",
                    ),
                )
    if (
        env.platform_functions.onboarding.enabled or any(e.model.api.auth in ("api_key", "authorizer") for e in entries)
    ) and not env.api.usage_plans:
        problems.add(
            REGISTRY_FILE,
            ("environments", env_name, "api", "usage_plans"),
            "needs at least one usage plan: API keys are only accepted through a usage plan",
        )
