"""template-gen completion: print a shell completion script, generated from the CLI's own parser."""

from __future__ import annotations

import argparse

from template_gen.completion import SHELLS, script
from template_gen.console import Console

INSTALL = {
    "bash": "template-gen completion bash > ~/.local/share/bash-completion/completions/template-gen",
    "zsh": 'template-gen completion zsh > "${fpath[1]}/_template-gen"',
    "fish": "template-gen completion fish > ~/.config/fish/completions/template-gen.fish",
}


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "completion",
        description="Print a completion script for bash, zsh or fish: commands, flags and their choices. "
        "Install it once; regenerate it after upgrading template-gen.",
        epilog="examples:\n" + "\n".join(f"  {line}" for line in INSTALL.values()),
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(run=run, needs_project=False)


def do_completion(shell: str) -> str:
    from template_gen.cli import PROG, build_parser  # the whole parser: every command's flags

    return script(shell, build_parser(), PROG)


def run(args: argparse.Namespace, console: Console) -> int:
    console.out.write(do_completion(args.shell))
    return 0
