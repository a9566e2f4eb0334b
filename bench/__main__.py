"""``python -m bench [--quick] [--only verify,signin,http,memory]``: run the benchmarks, write bench/RESULTS.md.

``bench/run`` installs what the benchmarks need and calls this. Without ``--only`` every benchmark runs (about
eight minutes on a 2-core machine; ``--quick`` about two, with runs too short for the goals).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from bench import http, memory, signin, verify
from bench.machine import available_cores, describe
from bench.report import Section, table

BENCHMARKS = {"verify": verify.run, "signin": signin.run, "http": http.run, "memory": memory.run}
RESULTS = Path(__file__).with_name("RESULTS.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, for development")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS)
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - BENCHMARKS.keys())
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    started = time.monotonic()
    machine = describe()
    machine["cores available at start (busy-loop probe)"] = f"{available_cores():.2f}"
    sections: list[Section] = []
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        section, _result = BENCHMARKS[name](args.quick)
        sections.append(section)
        print(section.markdown(), file=sys.stderr, flush=True)
    machine["cores available at end (busy-loop probe)"] = f"{available_cores():.2f}"

    command = " ".join(["bench/run", *sys.argv[1:]])
    header = [
        "# Benchmark results",
        f"Written by `{command}` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in {time.monotonic() - started:.0f} s. "
        "How to read them and what was changed to get them: [README.md](README.md).",
        "## Machine",
        table(["", ""], list(machine.items())),
    ]
    args.output.write_text("\n\n".join(header + [s.markdown() for s in sections]) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
