"""`make bench`: what users pay, as whole processes. Prints the Markdown tables of docs/BENCHMARKS.md.

    python benchmarks/run.py [--sizes 10,100,1000] [--repeat 9] [--iterations 2000]

- Start-up: `template-gen --help`, `--version`, `validate` and `diff` of the example registry, beside an
  empty interpreter and what loading cfn-lint's schemas alone costs (what `diff` paid before it shipped its
  create-only table).
- Synth: `template-gen synth` of a generated platform of N services (generate_registry.py), with the default
  `--jobs` (the CPU count) and with `--jobs 1`, beside the floor (floor.py: the same platform as one
  template in raw troposphere, JSON out), and the ratios to the floor, of wall time and of CPU time (on a
  machine shared with other work, the CPU ratio is the steadier one).

Every figure is the median of --repeat runs of a fresh process; the variants of one row run in turn
(A, B, C, A, B, C, ...) so that a busy moment of the machine spreads over all of them. Wall is elapsed
time; CPU is user + system time of the process and the processes it waited for (synth's workers); peak
memory is the largest resident size of any one of those processes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate_registry import write_registry  # noqa: E402

SIZES = (10, 100, 250, 1000)
PY = sys.executable
CLI = (PY, "-m", "template_gen")


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mib: float


@dataclass(frozen=True)
class Measure:
    wall: float  # medians
    cpu: float
    peak_mib: float  # largest

    def cells(self) -> str:
        return f"{self.wall:.2f} | {self.cpu:.2f} | {self.peak_mib:.0f}"


def run_once(argv: Sequence[str], cwd: Path = ROOT) -> Run:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, whatever is installed
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage, which Popen.wait does not give
        wall = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed ({code}):\n{err.read().decode()}")
    # ru_maxrss is in KiB on Linux; for a waited-for process it covers the processes it waited for too.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def measure_in_turn(variants: Sequence[Sequence[str]], repeat: int, cwd: Path = ROOT) -> list[Measure]:
    runs: list[list[Run]] = [[] for _ in variants]
    for _ in range(repeat):
        for i, argv in enumerate(variants):
            runs[i].append(run_once(argv, cwd))
    return [
        Measure(
            statistics.median(r.wall for r in rs),
            statistics.median(r.cpu for r in rs),
            max(r.peak_mib for r in rs),
        )
        for rs in runs
    ]


def startup(repeat: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        earlier = Path(tmp) / "dev"
        run_once([*CLI, "synth", "--env", "dev", "--out", str(earlier), "--jobs", "1"])
        diff = ["diff", "--env", "dev", "--against", str(earlier)]
        rows = [
            ("`python -c pass` (the interpreter alone)", [PY, "-c", "pass"]),
            ("`template-gen --help`", [*CLI, "--help"]),
            ("`template-gen --version`", [*CLI, "--version"]),
            ("`template-gen validate` (example registry)", [*CLI, "validate"]),
            ("`template-gen diff --env dev --against DIR` (example registry)", [*CLI, *diff]),
            (
                "loading cfn-lint's schemas and decoder alone (what `diff` loaded before)",
                [PY, "-c", "import cfnlint.decode, cfnlint.schema"],
            ),
        ]  # fmt: skip
        measures = measure_in_turn([argv for _, argv in rows], repeat)
    lines = ["| command | wall (s) | CPU (s) | peak memory (MiB) |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {m.cells()} |" for (name, _), m in zip(rows, measures, strict=True)]
    return "\n".join(lines)


def synth(sizes: Sequence[int], repeat: int) -> str:
    lines = [
        "| services | resources (synth / floor) | floor: wall, CPU, peak | synth: wall, CPU, peak "
        "| synth --jobs 1: wall, CPU, peak | synth / floor (wall) | --jobs 1 / floor (wall) "
        "| synth / floor (CPU) | --jobs 1 / floor (CPU) |",
        "|---:|---:|---|---|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            project = Path(tmp) / f"platform-{size}"
            write_registry(project, size)
            out = Path(tmp) / f"out-{size}"
            floor_json = Path(tmp) / f"floor-{size}.json"
            resources = _synth_resources(project, out)
            floor_resources = _floor_resources(project, floor_json)
            base = [*CLI, "--project-dir", str(project), "synth", "--env", "prod", "--out", str(out)]
            floor, parallel, serial = measure_in_turn(
                [[PY, str(HERE / "floor.py"), str(project), str(floor_json)], base, [*base, "--jobs", "1"]], repeat
            )
            lines.append(
                f"| {size:,} | {resources:,} / {floor_resources:,} | {_cell(floor)} | {_cell(parallel)} "
                f"| {_cell(serial)} | {parallel.wall / floor.wall:.2f} | {serial.wall / floor.wall:.2f} "
                f"| {parallel.cpu / floor.cpu:.2f} | {serial.cpu / floor.cpu:.2f} |"
            )
    return "\n".join(lines)


def _cell(m: Measure) -> str:
    return f"{m.wall:.2f} s, {m.cpu:.2f} s, {m.peak_mib:.0f} MiB"


def _synth_resources(project: Path, out: Path) -> int:
    import json

    text = subprocess.run(
        [*CLI, "--project-dir", str(project), "synth", "--env", "prod", "--out", str(out), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    return sum(int(s["resources"]) for s in json.loads(text)["stacks"])


def _floor_resources(project: Path, out: Path) -> int:
    import json

    text = subprocess.run(
        [PY, str(HERE / "floor.py"), str(project), str(out)], capture_output=True, text=True, check=True
    ).stdout
    return int(json.loads(text)["resources"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="platform sizes, in services")
    # 9: on a shared 2-CPU machine the median of 5 runs put the 100-service ratio anywhere from 1.9 to 2.2.
    parser.add_argument("--repeat", type=int, default=9, help="runs per measure (the median is shown)")
    parser.add_argument("--iterations", type=int, default=2000, help="authorizer invocations per case")
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat: at least 5 runs, so that the median means something")
    sizes = tuple(int(s) for s in args.sizes.split(","))
    # Compiled modules, as an installed package has them (even where PYTHONDONTWRITEBYTECODE is set).
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "template_gen")], check=True, stdout=subprocess.DEVNULL)
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}; "
        f"load average at the start {load:.2f}; median of {args.repeat} runs\n"
    )
    print("## Start-up\n")
    print(startup(args.repeat))
    print("\n## Synth, beside the floor\n")
    print(synth(sizes, args.repeat))
    import authorizer  # after the process runs: it sets fake AWS settings in this process

    print(f"\nload average at the end of the whole-process runs: {os.getloadavg()[0]:.2f}")
    print("\n## API key validator (warm invocations)\n")
    print(authorizer.render(authorizer.run(args.iterations)))


if __name__ == "__main__":
    main()
