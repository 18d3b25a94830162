"""Upload a 256 MiB weights file to the local hub: taskwizard vs a bare httpx upload.

    python benchmarks/bench_upload.py [--size-mib 256] [--repeat 2]

The hub runs in its own process, and every client run in a fresh process, so the
client's memory figures are its own: ``ru_maxrss`` growth during the upload (peak
RSS minus RSS before it) and, in a second run, tracemalloc's peak of Python
allocations during the upload. Both storage shapes the Hub uses are measured:
one presigned POST (the hub's multipart threshold set above the file size) and
multipart PUTs of 5 MiB (the local hub's default, like Bitfount's).

Throughput is the weights file's size over the time from registering the weights
(``PUT /api/models``) until the storage (and the multipart completion) answered; for
taskwizard that is its progress events' "uploading" to "done", which also includes
writing its upload record. The bare httpx client does the
same requests taskwizard does (register code, upload code, register weights) but
uploads with httpx's own ``files=`` streaming (single) or a plain generator per
part (multipart).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODEL = """\
from bitfount.backends.pytorch import PyTorchBitfountModel


class BenchModel(PyTorchBitfountModel):
    pass
"""
TASK = """\
pods:
  identifiers: ["bench-pod"]
task:
  protocol:
    name: bitfount.InferenceAndCSVReport
  algorithm:
    - name: bitfount.ModelInference
      model:
        bitfount_model:
          model_ref: BenchModel
  data_structure: {}
"""
CONFIG = """\
task-templates:
  - slug: bench-template
    title: Bench
    type: image-classification
    description: benchmark
    template: task.yaml
    tags: []
models:
  - model_file: BenchModel.py
    weights_file: BenchModel.pt
"""
USER = "bench"


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ------------------------------------------------------------------ clients
def client_taskwizard(
    url: str, key_id: str, key: str, project: Path, trace: bool
) -> dict[str, Any]:
    import tracemalloc

    from taskwizard.hub.auth import Credentials
    from taskwizard.hub.client import HubClient
    from taskwizard.hub.plan import build_plan
    from taskwizard.hub.upload import FileProgress, execute_plan

    client = HubClient(url, Credentials.from_api_key(key_id, key, "bench"))
    plan = build_plan(project / "task-templates.yaml", client, USER, cwd=project)
    assert not plan.refused, [p.format() for p in plan.problems]
    marks: dict[str, float] = {}

    def on_progress(event: FileProgress) -> None:
        if event.file_id.startswith("weights:"):
            if event.state == "uploading" and "start" not in marks:
                marks["start"] = time.perf_counter()
            if event.state in ("done", "failed"):
                marks["end"] = time.perf_counter()

    rss_before = _rss_kib()
    if trace:
        tracemalloc.start()
    result = execute_plan(plan, client, on_progress=on_progress)
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    assert result.ok, [(f.file_id, f.error) for f in result.failed]
    return _figures(marks["end"] - marks["start"], rss_before, peak)


def client_httpx(url: str, key_id: str, key: str, project: Path, trace: bool) -> dict[str, Any]:
    import hashlib
    import tracemalloc

    import httpx

    headers = {"x-api-key-id": key_id, "x-api-key": key}
    code = (project / "BenchModel.py").read_bytes()
    weights = project / "BenchModel.pt"
    size = weights.stat().st_size
    with httpx.Client(timeout=60) as http:
        reply = http.post(
            f"{url}/api/models",
            params={"multipartUpload": "true"},
            headers=headers,
            json={
                "modelName": "BenchModel",
                "modelSize": len(code),
                "modelHash": hashlib.sha256(code.replace(b"\r", b"")).hexdigest(),
                "privateModel": True,
                "modelDescription": "",
            },
        ).json()
        _bare_upload(http, url, headers, reply, "BenchModel.py", code)
        rss_before = _rss_kib()
        if trace:
            tracemalloc.start()
        start = time.perf_counter()  # like taskwizard's: from registering the weights
        target = http.put(
            f"{url}/api/models",
            params={"multipartUpload": "true"},
            headers=headers,
            json={"modelName": "BenchModel", "modelVersion": reply["version"], "weightSize": size},
        ).json()
        _bare_upload(http, url, headers, target, weights.name, weights)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
    return _figures(seconds, rss_before, peak)


def _bare_upload(
    http: Any, url: str, headers: dict[str, str], target: dict[str, Any], name: str, body: Any
) -> None:
    if target.get("uploadUrl"):
        handle = body.open("rb") if isinstance(body, Path) else body
        response = http.post(
            target["uploadUrl"], data=target["uploadFields"], files={"file": (name, handle)}
        )
        assert response.status_code in (200, 201, 204), response.text
        return
    path = body
    chunk = int(target["chunkSize"])
    parts = []
    for number, part_url in enumerate(target["uploadUrls"], start=1):
        offset = (number - 1) * chunk
        length = chunk if number < len(target["uploadUrls"]) else path.stat().st_size - offset

        def part(offset: int = offset, length: int = length) -> Any:
            with path.open("rb") as handle:
                handle.seek(offset)
                left = length
                while left:
                    data = handle.read(min(1024 * 1024, left))
                    left -= len(data)
                    yield data

        response = http.put(part_url, content=part(), headers={"Content-Length": str(length)})
        assert response.status_code == 200, response.text
        parts.append({"ETag": response.headers["ETag"].strip('"'), "PartNumber": number})
    response = http.post(
        f"{url}/api/upload",
        headers=headers,
        json={
            "objectType": "Model",
            "key": target["key"],
            "uploadId": target["uploadId"],
            "parts": parts,
        },
    )
    assert response.status_code == 200, response.text


def _figures(seconds: float, rss_before_kib: int, peak: int) -> dict[str, Any]:
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "seconds": seconds,
        "rss_growth_mib": max(0, maxrss - rss_before_kib) / 1024,
        "maxrss_mib": maxrss / 1024,
        "tracemalloc_peak_mib": peak / 2**20,
    }


# ------------------------------------------------------------------- driver
def start_hub(data: Path, threshold: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    code = (
        "import json, sys\n"
        "from taskwizard.hub.localhub import LocalHub\n"
        f"hub = LocalHub({str(data)!r}, username={USER!r}, multipart_threshold={threshold})\n"
        "hub.start()\n"
        "info = {'url': hub.url, 'id': hub.api_key_id, 'key': hub.api_key}\n"
        "print(json.dumps(info), flush=True)\n"
        "sys.stdin.read()\n"
        "hub.stop()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def run_client(
    kind: str, hub: dict[str, str], project: Path, trace: bool, env: dict[str, str]
) -> dict[str, Any]:
    args = [
        sys.executable,
        __file__,
        "--client",
        kind,
        "--url",
        hub["url"],
        "--project",
        str(project),
    ]
    if trace:
        args.append("--trace")
    child_env = {**env, "BENCH_KEY_ID": hub["id"], "BENCH_KEY": hub["key"]}
    out = subprocess.run(args, capture_output=True, text=True, env=child_env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} client failed:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--client")
    parser.add_argument("--url")
    parser.add_argument("--project", type=Path)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument(
        "--smoke", action="store_true", help="a small file, one run: checks the script runs"
    )
    args = parser.parse_args()
    if args.smoke:  # two and a bit 5 MiB parts
        args.size_mib, args.repeat = 11, 1
    if args.client:
        fn = client_taskwizard if args.client == "taskwizard" else client_httpx
        figures = fn(
            args.url, os.environ["BENCH_KEY_ID"], os.environ["BENCH_KEY"], args.project, args.trace
        )
        print(json.dumps(figures))
        return

    size = args.size_mib * 2**20
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        root = Path(tmp)
        env = dict(os.environ)
        for name in ("config", "cache", "data"):
            (root / name).mkdir()
            env[f"TASKWIZARD_{name.upper()}_DIR"] = str(root / name)
        project = root / "project"
        project.mkdir()
        (project / "task.yaml").write_text(TASK)
        (project / "task-templates.yaml").write_text(CONFIG)
        with (project / "BenchModel.pt").open("wb") as handle:
            for _ in range(args.size_mib):
                handle.write(os.urandom(2**20))
        print(
            f"weights file: {args.size_mib} MiB; machine: {os.cpu_count()} cores; "
            f"Python {sys.version.split()[0]}"
        )
        for mode, threshold in (("single POST", size + 1), ("multipart 5 MiB", 5 * 2**20)):
            hub_proc, hub = start_hub(root / f"hub-{threshold}", threshold)
            try:
                rows: dict[str, list[dict[str, Any]]] = {"taskwizard": [], "httpx": []}
                run = 0
                for _ in range(args.repeat):
                    for kind in rows:
                        run += 1
                        # A new code hash each run, so taskwizard uploads a new version.
                        (project / "BenchModel.py").write_text(MODEL + f"# run {mode} {run}\n")
                        timing = run_client(kind, hub, project, False, env)
                        run += 1
                        (project / "BenchModel.py").write_text(MODEL + f"# run {mode} {run}\n")
                        traced = run_client(kind, hub, project, True, env)
                        timing["tracemalloc_peak_mib"] = traced["tracemalloc_peak_mib"]
                        rows[kind].append(timing)
            finally:
                assert hub_proc.stdin is not None
                hub_proc.stdin.close()
                hub_proc.wait(timeout=30)
            print(f"\n{mode}:")
            print(
                f"  {'client':<11} {'best MiB/s':>10} {'median':>7} {'best s':>7} "
                f"{'RSS growth':>11} {'max RSS':>9} {'tracemalloc peak':>17}"
            )
            for kind, runs in rows.items():
                best = min(runs, key=lambda r: r["seconds"])
                mibs = [args.size_mib / r["seconds"] for r in runs]
                print(
                    f"  {kind:<11} {max(mibs):10.0f} {statistics.median(mibs):7.0f} "
                    f"{best['seconds']:7.2f} "
                    f"{max(r['rss_growth_mib'] for r in runs):9.1f} MiB"
                    f" {max(r['maxrss_mib'] for r in runs):6.0f} MiB"
                    f" {max(r['tracemalloc_peak_mib'] for r in runs):13.2f} MiB"
                )


if __name__ == "__main__":
    main()
