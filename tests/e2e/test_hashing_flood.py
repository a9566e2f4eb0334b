"""A flood of sign-ins with the real (OWASP) Argon2 parameters keeps memory bounded and fails fast.

Runs in a fresh Python process so that its peak memory (``ru_maxrss``) belongs to this flood alone. Each Argon2id
verification holds 19 MiB; 200 at once would need about 3.7 GiB. With two hashes at a time and four waiting, the
rest are refused at once with 503 and ``Retry-After``, and the peak grows by about two hashes' worth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FLOOD = r"""
import asyncio, json, resource, sys, tempfile
from pathlib import Path

from tests.harness import make_settings, running_app


async def main() -> None:
    settings = make_settings(
        Path(tempfile.mkdtemp()),
        argon2_memory_kib=19456,
        argon2_time_cost=2,
        hash_concurrency=2,
        hash_queue_limit=4,
        rate_limits_enabled=False,
    )
    async with running_app(settings) as api:
        assert (await api.sign_up("flood@example.com")).status_code == 202
        pool = api.container.hashing_pool
        peaks = {"in_flight": 0, "admitted": 0}
        original = pool.run

        async def watching_run(fn, *args):
            peaks["in_flight"] = max(peaks["in_flight"], pool.in_flight)
            peaks["admitted"] = max(peaks["admitted"], pool.in_flight + pool.waiting)
            return await original(fn, *args)

        pool.run = watching_run
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        responses = await asyncio.gather(*(
            api.client.post("/v1/login", json={"email": "flood@example.com", "password": "wrong guess here"})
            for _ in range(200)
        ))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        busy = [r for r in responses if r.status_code == 503]
        print("RESULT=" + json.dumps({
            "statuses": sorted({r.status_code for r in responses}),
            "busy": len(busy),
            "evaluated": sum(r.status_code == 401 for r in responses),
            "busy_body": busy[0].json() if busy else None,
            "retry_after": busy[0].headers.get("retry-after") if busy else None,
            "peak_growth_kib": after - before,
            "peaks": peaks,
        }))


asyncio.run(main())
"""


@pytest.mark.threat("T-ACC-08")
def test_a_login_flood_is_refused_fast_and_memory_stays_bounded() -> None:
    """Attack: hundreds of simultaneous sign-ins to make the server allocate Argon2 memory for each."""
    result = subprocess.run(
        [sys.executable, "-c", FLOOD], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT="))
    outcome = json.loads(line.removeprefix("RESULT="))
    assert outcome["statuses"] == [401, 503]
    assert outcome["busy"] >= 100  # most are refused at once; a few arrive after earlier hashes finished
    assert outcome["evaluated"] == 200 - outcome["busy"]
    assert outcome["busy_body"]["code"] == "service_busy"
    assert outcome["retry_after"] == "1"
    assert outcome["peaks"]["in_flight"] <= 2
    assert outcome["peaks"]["admitted"] <= 6  # two hashing plus four waiting
    # two concurrent 19 MiB hashes plus slack; an unbounded flood would need gigabytes
    assert outcome["peak_growth_kib"] < 100 * 1024
