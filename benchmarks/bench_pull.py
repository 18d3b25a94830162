"""`taskwizard pull`: time and the CLIENT's peak memory, by weights size.

    python benchmarks/bench_pull.py [--size-mib 16 256]

A local hub (in this process, a free loopback port, throw-away folders) gets the
tests' sample project with weights of each size; then `taskwizard pull` runs in a
fresh process twice: the template only, and --with-models --with-weights. It
reports the wall time and the pull process's peak RSS (VmHWM from /proc, which
exec resets, unlike getrusage's maxrss): it should not grow with the weights,
because they are streamed to disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CHILD = """
import sys, time
from taskwizard.cli import main
start = time.perf_counter()
rc = main(sys.argv[1:])
took = time.perf_counter() - start
peak = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')][0]
print(f"rc={rc} seconds={took:.2f} peak_kib={peak}", file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, nargs="+", default=[16, 256])
    parser.add_argument(
        "--smoke", action="store_true", help="one 1 MiB pull, to check the script runs"
    )
    args = parser.parse_args()
    if args.smoke:
        args.size_mib = [1]
    with tempfile.TemporaryDirectory(prefix="tw-bench-pull-") as tmp:
        root = Path(tmp)
        for name in ("config", "cache", "data"):
            (root / name).mkdir()
            os.environ[f"TASKWIZARD_{name.upper()}_DIR"] = str(root / name)
        from upload_project import make_project

        from taskwizard.hub.auth import Credentials
        from taskwizard.hub.client import HubClient
        from taskwizard.hub.localhub import LocalHub
        from taskwizard.hub.plan import build_plan
        from taskwizard.hub.upload import execute_plan

        for size in args.size_mib:
            hub = LocalHub(root / f"hub{size}", username="alice", port=0)
            hub.start()
            try:
                config = make_project(root / f"p{size}", weights_size=size * 1024 * 1024)
                creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "bench")
                with HubClient(hub.url, creds) as client:
                    plan = build_plan(config, client, "alice", cwd=config.parent)
                    assert execute_plan(plan, client, on_progress=lambda event: None).ok
                env = {
                    **os.environ,
                    "BITFOUNT_API_KEY_ID": hub.api_key_id,
                    "BITFOUNT_API_KEY": hub.api_key,
                }
                for extra in ([], ["--with-models", "--with-weights"]):
                    into = root / f"pulled{size}-{len(extra)}"
                    argv = ["pull", "alice/my-template", "--hub", hub.url, "--username", "alice"]
                    argv += ["--into", str(into), *extra]
                    result = subprocess.run(
                        [sys.executable, "-c", CHILD, *argv],
                        env=env,
                        capture_output=True,
                        text=True,
                    )
                    line = result.stderr.strip().splitlines()[-1]
                    label = "template + model + weights" if extra else "template only"
                    print(f"weights {size:4d} MiB, {label:26s}: {line}")
            finally:
                hub.stop()


if __name__ == "__main__":
    main()
