"""One module per CLI command. Each has `add_parser(subparsers)`, and the parser's `run(args, console)` only
translates arguments and prints; the work is a plain function that tests call directly (a `do_<command>()`,
or the pipeline's `synthesize` and `load_registry`)."""

from __future__ import annotations

from template_gen.commands import (
    deploy,
    diff,
    execute,
    graph,
    init,
    logs,
    migrate,
    new_env,
    new_service,
    publish,
    review,
    schema,
    services,
    status,
    synth,
    validate,
)

COMMANDS = (
    init,
    validate,
    synth,
    services,
    schema,
    migrate,
    new_service,
    new_env,
    graph,
    publish,
    diff,
    review,
    deploy,
    status,
    logs,
    execute,
)
