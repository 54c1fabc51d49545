"""The CLI as a real process: what it imports, how it ends on a closed pipe, the shell completion it prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from synth_cases import CASES, copy_project

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("cfnlint", "boto3", "botocore")


def python(code: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd or ROOT, check=True
    )
    return done.stdout.strip()


def loaded_after(statement: str, cwd: Path | None = None) -> str:
    """The heavy modules (and troposphere) present in sys.modules after `statement`, in a fresh interpreter."""
    return python(
        f"import sys\n{statement}\nprint(sorted(m for m in {(*HEAVY, 'troposphere')!r} if m in sys.modules))",
        cwd,
    )


def test_importing_the_cli_loads_no_cfn_lint_boto3_or_botocore() -> None:
    assert loaded_after("import template_gen.cli") == "[]"


def test_help_and_version_load_no_command_module() -> None:
    statement = (
        "import contextlib, io\nfrom template_gen.cli import main\n"
        "for argv in (['--help'], ['--version']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(argv)\n"
        "print([m for m in sys.modules if m.startswith('template_gen.commands.')])"
    )
    assert loaded_after(statement).splitlines() == ["[]", "[]"]


def cli_process(
    setup: str, project: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`template-gen --project-dir PROJECT ARGV...` run as `python -m template_gen` runs it, after `setup`
    (Python, with atexit, os and sys imported) in the same interpreter."""
    code = (
        f"import atexit, os, runpy, sys\n{setup}\n"
        "sys.argv = ['template-gen', '--project-dir', *sys.argv[1:]]\n"
        "runpy.run_module('template_gen', run_name='__main__')"
    )
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, str(project), *argv], capture_output=True, text=True, env=env)


def test_the_cli_turns_off_pydantic_plugin_discovery_unless_the_user_set_it(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path)
    report = "atexit.register(lambda: print(os.environ.get('PYDANTIC_DISABLE_PLUGINS')))"
    for preset, expected in ((None, "__all__"), ("logfire", "logfire")):
        env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
        env |= {"PYDANTIC_DISABLE_PLUGINS": preset} if preset else {}
        done = cli_process(report, project, "validate", env=env)
        assert (done.returncode, done.stdout.splitlines()[-1]) == (0, expected), done.stderr


def test_the_process_skips_the_teardown_but_keeps_its_exit_code_output_and_exit_handlers(tmp_path: Path) -> None:
    # GIVEN an exit handler (as coverage or a log handler registers one) and an object whose finalizer only
    # the interpreter's teardown would call
    project = copy_project(CASES["example"].project, tmp_path)
    setup = (
        "atexit.register(lambda: sys.stderr.write('exit handler ran\\n'))\n"
        "class Kept:\n    def __del__(self): os.write(1, b'torn down')\n"
        "kept = Kept()"
    )
    # WHEN a command succeeds, and one fails on the user's input
    ok = cli_process(setup, project, "services", "--env", "dev", "--format", "json")
    bad = cli_process(setup, project, "synth", "--env", "nope")
    # THEN each exits with its own code, its whole output flushed, and the exit handler ran; the teardown did not
    assert "torn down" not in ok.stdout
    assert ok.returncode == 0
    assert [s["name"] for s in json.loads(ok.stdout)][:2] == ["platform-info", "pricing-rules"]
    assert ok.stderr == "exit handler ran\n"
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "services/registry.yaml: environments: no environment named 'nope' (defined: dev, prod)",
        "error: 1 problem found; nothing was written",
        "exit handler ran",
    ]


def test_validate_and_services_load_neither_troposphere_nor_aws_libraries(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path)
    statement = (
        "import contextlib, io\nfrom template_gen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--project-dir', {str(project)!r}, 'validate']) == 0\n"
        f"    assert main(['--project-dir', {str(project)!r}, 'services', '--env', 'dev']) == 0"
    )
    assert loaded_after(statement) == "[]"


def test_diff_needs_no_cfn_lint_and_synth_from_the_lookup_cache_no_boto3(tmp_path: Path) -> None:
    project = copy_project(CASES["lookup-networks"].project, tmp_path)
    env = CASES["lookup-networks"].environments[0]
    statement = (
        "import contextlib, io\nfrom template_gen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--project-dir', {str(project)!r}, 'synth', '--env', {env!r}]) == 0\n"
        f"    assert main(['--project-dir', {str(project)!r}, 'diff', '--env', {env!r}, "
        f"'--against', {str(project / 'build' / env)!r}]) == 0"
    )
    assert loaded_after(statement) == "['troposphere']"


def closed_pipe_run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with its standard output on a pipe whose reader is already gone (`| head` that quit)."""
    read, write = os.pipe()
    os.close(read)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        return subprocess.run(
            [sys.executable, "-m", "template_gen", *argv], stdout=write, stderr=subprocess.PIPE, env=env, cwd=cwd
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "argv",
    [("services", "--env", "dev", "--format", "json"), ("--help",), ("completion", "bash"), ("validate",)],
)
def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path, argv: tuple[str, ...]) -> None:
    project = copy_project(CASES["example"].project, tmp_path)
    done = closed_pipe_run(*argv, cwd=project)
    assert (done.returncode, done.stderr.decode()) == (0, "")


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """`template-gen completion SHELL`, written to a file once per shell (skips when the shell is missing)."""
    folder = tmp_path_factory.mktemp("completion")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def get(shell: str) -> Path:
        if shutil.which(shell) is None:
            pytest.skip(f"{shell} is not installed")
        path = folder / f"template-gen.{shell}"
        if not path.exists():
            argv = [sys.executable, "-m", "template_gen", "completion", shell]
            path.write_text(subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout)
        return path

    return get


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["syn"], "synth"),
        (["s"], "synth services schema status"),
        (["--project-dir", "x", "va"], "validate"),
        (["synth", "--format", ""], "text json"),
        (["synth", "--re"], "--refresh-lookups"),
        (["graph", "--format", "s"], "svg"),
        (["new-service", "--kind", ""], "ecs lambda"),
        (["completion", ""], "bash zsh fish -h --help"),
        (["synth", "--env", ""], ""),
    ],
)
def test_bash_completion_offers_the_commands_flags_and_choices(
    scripts: Callable[[str], Path], words: list[str], expected: str
) -> None:
    line = " ".join(f"'{w}'" for w in ["template-gen", *words])
    program = (
        f"source {scripts('bash')}\nCOMP_WORDS=({line})\nCOMP_CWORD={len(words)}\n"
        '_template_gen\necho "${COMPREPLY[*]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    assert (done.stdout.strip(), done.stderr) == (expected, "")


def test_the_zsh_completion_is_valid_zsh(scripts: Callable[[str], Path]) -> None:
    done = subprocess.run(["zsh", "-n", str(scripts("zsh"))], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("template-gen syn", ["synth\tgenerate the templates of an environment into build/<env>/"]),
        (
            "template-gen synth --format ",
            ["json\tsummary format (default: text)", "text\tsummary format (default: text)"],
        ),
        (
            "template-gen completion ",
            ["bash\tthe shell to complete in", "fish\tthe shell to complete in", "zsh\tthe shell to complete in"],
        ),
        ("template-gen graph --for", ["--format\toutput format (default: mermaid)"]),
    ],
)
def test_fish_completion_offers_the_commands_flags_and_choices(
    scripts: Callable[[str], Path], line: str, expected: list[str]
) -> None:
    program = f"source {scripts('fish')}; complete -C'{line}'"
    done = subprocess.run(["fish", "--no-config", "-c", program], capture_output=True, text=True)
    assert (done.stdout.splitlines(), done.stderr) == (expected, "")
