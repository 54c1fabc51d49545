"""`template-gen`: the command-line entry point. Exit codes: 0 ok, 1 user error, 2 internal error.

Only the command being run is imported (see `template_gen.commands.COMMANDS`): `--help`, `--version` and
`validate` never load troposphere, cfn-lint or boto3.
"""

from __future__ import annotations

import argparse
import atexit
import difflib
import gc
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from template_gen import __version__
from template_gen.commands import BY_NAME, COMMANDS
from template_gen.console import Console
from template_gen.errors import RegistryError, TemplateGenError, UsageError
from template_gen.registry.loader import REGISTRY_FILE, find_project_dir

EXIT_OK, EXIT_USER, EXIT_INTERNAL = 0, 1, 2
PROG = "template-gen"
_GIVEN = "_flags_given"  # namespace attribute: the single-value flags seen so far in this parse


class _StoreOnce(argparse._StoreAction):
    """`store`, but a flag that takes one value refuses a second one instead of silently keeping the last."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None):  # type: ignore[no-untyped-def]
        if option is not None:
            given: dict[str, Any] = namespace.__dict__.setdefault(_GIVEN, {})
            if self.dest in given:
                first = given[self.dest]
                raise argparse.ArgumentError(self, f"given twice ('{first}', then '{values}'); give it once")
            given[self.dest] = values
        super().__call__(parser, namespace, values, option)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--env` must not also answer to `--e` or `--en`
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)  # examples keep their lines
        super().__init__(*args, **kwargs)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n    run `{self.prog} --help` for usage")


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Subparsers whose one-line help comes from the command table when the module gives none."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("help", BY_NAME[name].summary if name in BY_NAME else None)
        return super().add_parser(name, **kwargs)  # type: ignore[no-any-return]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser (every command module imported). With `only`, just that command's module is
    imported and the others are listed by their summary; `only=""` imports none (`template-gen --help`)."""
    # --project-dir is accepted before or after the command.
    common = _Parser(add_help=False)
    common.add_argument(
        "--project-dir",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help=f"folder holding {REGISTRY_FILE} (default: found from the current folder)",
    )
    parser = _Parser(
        prog=PROG,
        description="Generate a hybrid API Gateway + ECS Fargate + Lambda platform from a service registry.",
        epilog=f"example:\n  {PROG} synth --env dev\n\nrun `{PROG} COMMAND --help` for a command's options",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}", help="print the version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, action=_Commands)
    sub.required = True
    for command in COMMANDS:
        if only is None or command.name == only:
            command.load().add_parser(sub, [common])
        else:
            sub.add_parser(command.name, add_help=False)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The command word of a command line (the first word that is not an option or an option's value)."""
    words = iter(argv)
    for word in words:
        if word == "--project-dir":
            next(words, None)
        elif word == "--":
            return next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def unknown_command(word: str) -> UsageError:
    close = difflib.get_close_matches(word, BY_NAME, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return UsageError(f"unknown command '{word}'{hint}\n    run `{PROG} --help` for the commands")


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = None
    try:
        command = command_of(argv)
        if command is not None and command not in BY_NAME:
            raise unknown_command(command)
        try:
            args = build_parser(command or "").parse_args(argv)
        except SystemExit:
            _flush_quietly(sys.stdout)  # --help and --version print, then exit
            raise
        if getattr(args, "needs_project", True):
            args.project_dir = _project_dir(getattr(args, "project_dir", None))
        code = int(args.run(args, console))
        console.out.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        # The reader went away (`template-gen services | head -1`): stop quietly, as other CLIs do.
        _silence(console.out, console.err)
        return EXIT_OK
    except RegistryError as exc:
        for problem in exc.problems:
            print(problem, file=console.err)
        count = len(exc.problems)
        # Commands that write files say that nothing was; the others never write anything.
        written = "; nothing was written" if command in BY_NAME and BY_NAME[command].writes else ""
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


def _flush_quietly(stream: TextIO) -> None:
    try:
        stream.flush()
    except BrokenPipeError:
        _silence(stream)


def _silence(*streams: TextIO) -> None:
    """Point the output streams at /dev/null, so that Python's final flush cannot fail on the closed pipe
    (the recipe of the Python docs, "Note on SIGPIPE")."""
    for stream in streams:
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            continue  # not a real file (tests pass StringIO)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


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
    # A command is a short process that builds large trees of objects (a 1,000-service synth: millions),
    # almost none of them garbage before it exits. The cyclic collector's full passes over those trees took
    # a quarter of synth's CPU time; reference counting frees everything else as before, and a rare pass
    # still runs for what cycles a long command (deploy's polling) leaves behind.
    gc.set_threshold(100_000, 50, 100)
    # pydantic looks for plugins in the entry points of every installed distribution when it builds the
    # first model: 30 ms of each command's start-up in a typical environment, for hooks template-gen never
    # uses. A value the user sets is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = main()
    # The interpreter's teardown frees every object the command built, one at a time: 60 ms after a
    # 100-service synth, 100 ms after a 1,000-service one, and nothing left to write. The exit handlers run
    # (they flush logs and coverage data, and join worker processes), the streams are flushed, and the
    # process ends without the teardown.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        _flush_quietly(stream)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
