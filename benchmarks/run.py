"""`make bench`: synth time and peak memory for generated platforms of 10 to 1,000 services, and the API key
validator's warm latency. Prints Markdown tables (the ones in docs/BENCHMARKS.md).

    python benchmarks/run.py [--sizes 10,50,100] [--repeat 3] [--iterations 2000]

Each synth runs in a fresh Python process (what a user runs), from a registry written by
generate_registry.py, so timings include interpreter start, imports, loading, validation, rendering and
writing. The median of --repeat runs is reported; peak memory is the process's maximum resident size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_registry import write_registry  # noqa: E402

SIZES = (10, 50, 100, 250, 500, 1000)
SYNTH = """
import json, resource, sys, time
started = time.perf_counter()
from template_gen.pipeline import synthesize
result = synthesize(__import__("pathlib").Path(sys.argv[1]), "prod")
elapsed = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds_in_process": elapsed, "peak_mib": peak_kib / 1024, "stacks": len(result.stacks),
                  "resources": sum(s.resources for s in result.stacks), "waves": result.wave_count}))
"""


def synth_once(project: Path) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", SYNTH, str(project)], check=True, capture_output=True, text=True, env=os.environ
    ).stdout
    data: dict[str, float] = json.loads(out)
    data["seconds"] = time.perf_counter() - started
    return data


def synth_benchmarks(sizes: tuple[int, ...], repeat: int) -> list[dict[str, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            project = Path(tmp) / f"platform-{size}"
            write_registry(project, size)
            runs = [synth_once(project) for _ in range(repeat)]
            rows.append(
                {
                    "services": size,
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "peak_mib": max(r["peak_mib"] for r in runs),
                    "stacks": runs[0]["stacks"],
                    "resources": runs[0]["resources"],
                    "waves": runs[0]["waves"],
                }
            )
    return rows


def render_synth(rows: list[dict[str, float]]) -> str:
    lines = [
        "| services | synth (median, s) | peak memory (MiB) | stacks | resources | first-deploy waves |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['services']:,} | {r['seconds']:.2f} | {r['peak_mib']:.0f} | {r['stacks']:.0f} | "
            f"{r['resources']:,.0f} | {r['waves']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=2000, help="authorizer invocations per case")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}\n")
    print("## Synth\n")
    print(render_synth(synth_benchmarks(sizes, args.repeat)))
    import authorizer  # after the synth runs: it sets fake AWS settings in this process

    print("\n## API key validator (warm invocations)\n")
    print(authorizer.render(authorizer.run(args.iterations)))


if __name__ == "__main__":
    main()
