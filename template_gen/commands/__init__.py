"""One module per CLI command. Each has `add_parser(subparsers)`, and the parser's `run(args, console)` only
translates arguments and prints; the work is a plain function that tests call directly (a `do_<command>()`,
or the pipeline's `synthesize` and `load_registry`)."""

from __future__ import annotations

from template_gen.commands import (
    diff,
    graph,
    new_service,
    publish,
    reconcile,
    review,
    schema,
    services,
    synth,
    validate,
)

COMMANDS = (validate, synth, services, schema, new_service, graph, publish, diff, review, reconcile)
