"""The local hub's side of a big upload: throughput and the SERVER's memory.

    python benchmarks/bench_localhub.py [--size-mib 256]

The hub runs in its own process; this script uploads a weights file of the
given size to it twice, with a streaming httpx client (1 MiB reads from disk):
once as one presigned POST (multipart/form-data, the hub's multipart
threshold set above the file size) and once as 5 MiB multipart PUTs plus the
completion. For each, it reports throughput and the hub process's peak RSS
growth (VmHWM after the upload minus VmRSS before it, from /proc), which
shows whether the hub holds bodies in memory (it should not: it streams them
to disk). The client side is measured by bench_upload.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

HUB_SCRIPT = """
import json, sys
from taskwizard.hub.localhub import LocalHub
hub = LocalHub(sys.argv[1], username="bench", multipart_threshold=int(sys.argv[2]),
               chunk_size=5 * 1024 * 1024)
hub.start()
print(json.dumps({"url": hub.url, "id": hub.api_key_id, "key": hub.api_key}), flush=True)
sys.stdin.read()
hub.stop()
"""
CODE = b"class BenchModel:\n    pass\n"
READ = 1024 * 1024


def proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def file_blocks(path: Path, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        left = path.stat().st_size - start if length is None else length
        while left > 0:
            block = handle.read(min(READ, left))
            if not block:
                return
            left -= len(block)
            yield block


def run_once(weights: Path, multipart: bool) -> dict[str, Any]:
    size = weights.stat().st_size
    threshold = 0 if multipart else size
    with tempfile.TemporaryDirectory() as data:
        hub = subprocess.Popen(
            [sys.executable, "-c", HUB_SCRIPT, data, str(threshold)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert hub.stdout is not None
            info = json.loads(hub.stdout.readline())
            headers = {"x-api-key-id": info["id"], "x-api-key": info["key"]}
            with httpx.Client(base_url=info["url"], headers=headers, timeout=120) as api:
                code_hash = hashlib.sha256(CODE).hexdigest()
                registered = api.post(
                    "/api/models?multipartUpload=true",
                    json={
                        "modelName": "BenchModel",
                        "modelSize": len(CODE),
                        "modelHash": code_hash,
                        "privateModel": True,
                        "modelDescription": "",
                    },
                ).json()
                if "uploadUrl" in registered:
                    api.post(
                        registered["uploadUrl"],
                        data=registered["uploadFields"],
                        files={"file": ("BenchModel.py", CODE)},
                    ).raise_for_status()
                else:  # threshold 0: even the code goes in parts
                    part = api.put(registered["uploadUrls"][0], content=CODE)
                    api.post(
                        "/api/upload",
                        json={
                            "objectType": "Model",
                            "key": registered["key"],
                            "uploadId": registered["uploadId"],
                            "parts": [{"ETag": part.headers["ETag"].strip('"'), "PartNumber": 1}],
                        },
                    ).raise_for_status()
                rss_before = proc_kib(hub.pid, "VmRSS")
                started = time.perf_counter()
                shape = api.put(
                    "/api/models?multipartUpload=true",
                    json={"modelName": "BenchModel", "modelVersion": 1, "weightSize": size},
                ).json()
                if multipart:
                    chunk = shape["chunkSize"]
                    parts = []
                    for index, url in enumerate(shape["uploadUrls"]):
                        length = min(chunk, size - index * chunk)
                        response = api.put(
                            url,
                            content=file_blocks(weights, index * chunk, length),
                            headers={"content-length": str(length)},
                        )
                        response.raise_for_status()
                        parts.append(
                            {"ETag": response.headers["ETag"].strip('"'), "PartNumber": index + 1}
                        )
                    api.post(
                        "/api/upload",
                        json={
                            "objectType": "Model",
                            "key": shape["key"],
                            "uploadId": shape["uploadId"],
                            "parts": parts,
                        },
                    ).raise_for_status()
                else:
                    boundary = "benchboundary0123456789"
                    head = (
                        f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
                        f"{shape['uploadFields']['key']}\r\n--{boundary}\r\n"
                        'Content-Disposition: form-data; name="file"; filename="w.bin"\r\n'
                        "Content-Type: application/octet-stream\r\n\r\n"
                    ).encode()
                    tail = f"\r\n--{boundary}--\r\n".encode()

                    def body() -> Iterator[bytes]:
                        yield head
                        yield from file_blocks(weights)
                        yield tail

                    api.post(
                        shape["uploadUrl"],
                        content=body(),
                        headers={
                            "content-type": f"multipart/form-data; boundary={boundary}",
                            "content-length": str(len(head) + size + len(tail)),
                        },
                    ).raise_for_status()
                elapsed = time.perf_counter() - started
                peak = proc_kib(hub.pid, "VmHWM")
        finally:
            if hub.stdin is not None:
                hub.stdin.close()
            hub.wait(timeout=30)
    return {
        "shape": "multipart PUTs (5 MiB parts)" if multipart else "single presigned POST",
        "mib_per_s": size / elapsed / 1024 / 1024,
        "seconds": elapsed,
        "server_rss_growth_mib": max(0, peak - rss_before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3, help="runs per shape; the median is shown")
    parser.add_argument(
        "--smoke", action="store_true", help="a small file, one run: checks the script runs"
    )
    args = parser.parse_args()
    if args.smoke:  # two and a bit 5 MiB parts
        args.size_mib, args.repeat = 11, 1
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.bin"
        with weights.open("wb") as out:
            for _ in range(args.size_mib):
                out.write(os.urandom(READ))
        print(f"weights: {args.size_mib} MiB; machine: {os.cpu_count()} cores")
        for multipart in (False, True):
            runs = [run_once(weights, multipart) for _ in range(args.repeat)]
            speeds = sorted(r["mib_per_s"] for r in runs)
            growth = max(r["server_rss_growth_mib"] for r in runs)
            print(
                f"{runs[0]['shape']:<30} median {statistics.median(speeds):7.1f} MiB/s "
                f"(runs: {', '.join(f'{v:.0f}' for v in speeds)})   "
                f"hub peak RSS growth at most {growth:.1f} MiB"
            )


if __name__ == "__main__":
    main()
