"""The CLI's commands: one module per command, imported only when that command runs.

Each module has `add_parser(subparsers, parents)` (a parser with a description, an example epilog and
help on every flag), and the parser's `run(args, console)` only translates arguments and prints; the work
is a plain function that tests call directly (a `do_<command>()`, or the pipeline's `synthesize` and
`load_registry`). Adding a command is one line in `COMMANDS`; its summary there is what
`template-gen --help` lists without importing the module (a test checks it matches the module's parser).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Command:
    name: str
    module: str
    summary: str  # one line, as in the module's `add_parser(..., help=...)`
    writes: bool = False  # writes files: its errors say that nothing was written

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


_M = "template_gen.commands."
COMMANDS: tuple[Command, ...] = (
    Command(
        "init",
        _M + "init",
        "create a new platform repository: registry (dev, prod), an example service, samconfig.toml, Makefile",
        True,
    ),
    Command("validate", _M + "validate", "check the registry and report every problem at once"),
    Command("synth", _M + "synth", "generate the templates of an environment into build/<env>/", writes=True),
    Command("services", _M + "services", "list the services enabled in an environment"),
    Command("schema", _M + "schema", "write JSON Schemas for registry.yaml and service.yaml (editor support)", True),
    Command(
        "migrate",
        _M + "migrate",
        "upgrade services/ to the current registry format (edits in place, comments and layout kept)",
        True,
    ),
    Command("new-service", _M + "new_service", "scaffold a service: files, registry entries, function", True),
    Command(
        "new-env",
        _M + "new_env",
        "add an environment copied from another: registry entry (layout kept) and samconfig.toml sections",
        True,
    ),
    Command("graph", _M + "graph", "draw an environment's architecture (Mermaid, DOT, or SVG/PNG with Graphviz)"),
    Command("publish", _M + "publish", "build and push a container service's image, then record the tag", True),
    Command("diff", _M + "diff", "compare what synth would write now with an earlier build (offline)"),
    Command("review", _M + "review", "create a change set with nested stacks and print every change (needs AWS)"),
    Command(
        "deploy",
        _M + "deploy",
        "synth, sam build, review the change set, confirm and execute it (needs AWS)",
        True,
    ),
    Command(
        "status",
        _M + "status",
        "how a deployed environment is doing: stack, tasks, rollouts, target health, images, Lambda errors",
    ),
    Command("logs", _M + "logs", "show a service's logs (ECS or Lambda), or the API access logs (needs AWS)"),
    Command("exec", _M + "execute", "open a shell in a running task of a service with exec: true (needs AWS)"),
    Command(
        "reconcile",
        _M + "reconcile",
        "run the environment's consumer reconciler: orphan API keys, consumers whose key is gone",
    ),
    Command("completion", _M + "completion", "print a shell completion script (bash, zsh or fish)"),
)
BY_NAME = {command.name: command for command in COMMANDS}
