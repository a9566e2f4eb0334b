"""Profiles of the server under load: py-spy samples every server process, summarised by function.

``python -m bench.profile {refresh,introspect,login} [--backend sqlite|postgres] [--seconds 10]`` starts a
server, puts the scenario's load on it and records it with ``py-spy record --format raw`` (collapsed stacks);
prints the functions with the largest inclusive ("in the stack") and self ("on top") shares of samples.
The summaries in bench/README.md were made with it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench import http


def summarise(collapsed: str, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = [frame.split(" (")[0] + " (" + frame.split(" (")[-1] for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples", "", "inclusive share | function (file:line)"]
    lines += [f"{count / total:6.1%} | {frame}" for frame, count in inclusive.most_common(top)]
    lines += ["", "self share | function (file:line)"]
    lines += [f"{count / total:6.1%} | {frame}" for frame, count in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=["refresh", "introspect", "login"])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="tokenward-profile-")) / "stacks.txt"

    def record(pid: int) -> None:
        subprocess.run(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
                "--gil",
            ],
            check=True,
            capture_output=True,
        )

    with http.prepared(args.scenario, args.backend, workers=1, sessions=32) as (server, spec):
        recorder = threading.Thread(target=record, args=(server.process.pid,))
        recorder.start()
        result = http.load(server, {**spec, "duration": args.seconds})
        recorder.join()
    print(json.dumps(result.load))
    print(summarise(out.read_text()))
    print(f"collapsed stacks: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
