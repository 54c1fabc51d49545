"""`template-gen`: the command-line entry point. Exit codes: 0 ok, 1 user error, 2 internal error."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from template_gen import __version__
from template_gen.commands import COMMANDS
from template_gen.console import Console
from template_gen.errors import RegistryError, TemplateGenError, UsageError
from template_gen.registry.loader import REGISTRY_FILE, find_project_dir

EXIT_OK, EXIT_USER, EXIT_INTERNAL = 0, 1, 2
WRITING_COMMANDS = frozenset({"synth", "new-service", "new-env", "publish", "schema", "deploy", "init", "migrate"})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n    run `{self.prog} --help` for usage")


def build_parser() -> argparse.ArgumentParser:
    # --project-dir is accepted before or after the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"folder holding {REGISTRY_FILE} (default: found from the current folder)",
    )
    parser = _Parser(
        prog="template-gen",
        description="Generate a hybrid API Gateway + ECS Fargate + Lambda platform from a service registry.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"template-gen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        # `init` creates a project, so it is the one command that runs outside of one.
        needs_project = getattr(args, "needs_project", True)
        args.project_dir = _project_dir(getattr(args, "project_dir", None)) if needs_project else None
        return int(args.run(args, console))
    except RegistryError as exc:
        for problem in exc.problems:
            print(problem, file=console.err)
        count = len(exc.problems)
        # Commands that write files say that nothing was; the others never write anything.
        written = "; nothing was written" if command in WRITING_COMMANDS else ""
        console.error(f"{count} {'problem' if count == 1 else 'problems'} found{written}")
        return EXIT_USER
    except TemplateGenError as exc:
        console.error(str(exc))
        return EXIT_USER
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except Exception:
        console.error("internal error (a bug in template-gen); please report it with this trace:")
        traceback.print_exc(file=console.err)
        return EXIT_INTERNAL


def _project_dir(given: Path | None) -> Path:
    if given is not None:
        if not (given / REGISTRY_FILE).is_file():
            raise UsageError(f"--project-dir {given}: no {REGISTRY_FILE} there")
        return given
    found = find_project_dir(Path.cwd())
    if found is None:
        raise UsageError(
            f"no {REGISTRY_FILE} in the current folder or any parent; run from the platform repository "
            "or pass --project-dir"
        )
    return found


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
