"""One module per CLI command. Each has `add_parser(subparsers)` and a plain `do_<command>()` that tests
call directly; the parser's `run(args, console)` only translates arguments and prints."""

from __future__ import annotations

from template_gen.commands import diff, graph, new_service, publish, review, schema, services, synth, validate

COMMANDS = (validate, synth, services, schema, new_service, graph, publish, diff, review)
