"""The local hub under load: concurrent clients, receive throughput, the SERVER's memory.

    python benchmarks/bench_localhub.py [--size-mib 256] [--clients 200] [--smoke]

``--smoke`` runs every section with tiny sizes (a few seconds), to check the
benchmark still works; its figures mean nothing. The exit status is 1 when a
client failed or the big form was not refused with 400 (an upload error raises).

Sections (each starts its own hub process, so peak RSS is that section's):

- concurrent clients: N clients at once, each doing a full upload on its own
  connection (register code, presigned POST of the code, register weights, a
  256 KiB weights POST, create a task template); how many succeeded, and
  p50/p99 latency per request.
- big-file memory: peak hub RSS (VmHWM) while one 500 MiB weights file is
  uploaded as one presigned POST, and while a 7,000-field form (60 KiB per
  field) is sent to an upload URL (the hub must answer 400 with flat memory).

The hub runs in its own process; this script uploads a weights file of the
given size to it twice, with a streaming httpx client (1 MiB reads from disk):
once as one presigned POST (multipart/form-data, the hub's multipart
threshold set above the file size) and once as 5 MiB multipart PUTs plus the
completion. For each, it reports throughput and the hub process's peak RSS
growth (VmHWM after the upload minus VmRSS before it, from /proc), which
shows whether the hub holds bodies in memory (it should not: it streams them
to disk). The client side is measured by bench_upload.py.

To compare with another version of the hub (the old stdlib server is commit
83c8408): ``git archive 83c8408 taskwizard | tar -x -C /tmp/old`` and run this
script with ``PYTHONPATH=/tmp/old``; the hub processes it starts import that
code. Alternate the two runs: on a shared machine only same-session ratios mean
anything.
"""

from __future__ import annotations

import argparse
import asyncio
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


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (load-independent, unlike MiB/s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
                hwm_before = proc_kib(hub.pid, "VmHWM")
                cpu_before = proc_cpu_seconds(hub.pid)
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
                cpu = proc_cpu_seconds(hub.pid) - cpu_before
        finally:
            if hub.stdin is not None:
                hub.stdin.close()
            hub.wait(timeout=30)
    return {
        "shape": "multipart PUTs (5 MiB parts)" if multipart else "single presigned POST",
        "mib_per_s": size / elapsed / 1024 / 1024,
        "seconds": elapsed,
        "server_rss_growth_mib": max(0, peak - rss_before) / 1024,
        "idle_rss_mib": rss_before / 1024,
        "hub_cpu_s_per_gib": cpu / (size / 1024**3),
        "peak_rss_mib": peak / 1024,
        "hwm_before_mib": hwm_before / 1024,
    }


class Hub:
    """A hub in its own process (the taskwizard on sys.path), for one section."""

    def __init__(self, data: str, threshold: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HUB_SCRIPT, data, str(threshold)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        info = json.loads(self.process.stdout.readline())
        self.url: str = info["url"]
        self.headers = {"x-api-key-id": info["id"], "x-api-key": info["key"]}

    def kib(self, field: str) -> int:
        return proc_kib(self.process.pid, field)

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def template_body(slug: str) -> dict[str, Any]:
    return {
        "title": "Bench task",
        "slug": slug,
        "type": "text-classification",
        "template": {"task": {"protocol": {"name": "bitfount.ResultsOnly"}}},
        "description": "",
        "tags": [],
    }


async def one_client(
    number: int, url: str, headers: dict[str, str], weights: bytes, start: asyncio.Event
) -> tuple[bool, list[float], str]:
    """A full upload on this client's own connection; (ok, request latencies, error)."""
    import httpx

    latencies: list[float] = []
    name = f"Model{number}"
    code = f"class {name}:\n    pass\n".encode()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:

        async def timed(method: str, target: str, **kwargs: Any) -> httpx.Response:
            began = time.perf_counter()
            response = await client.request(method, target, **kwargs)
            latencies.append(time.perf_counter() - began)
            if response.status_code >= 300:
                raise RuntimeError(f"{method} {target.split('?')[0]} -> {response.status_code}")
            return response

        await start.wait()
        try:
            registered = (
                await timed(
                    "POST",
                    "/api/models?multipartUpload=true",
                    json={
                        "modelName": name,
                        "modelSize": len(code),
                        "modelHash": hashlib.sha256(code).hexdigest(),
                        "privateModel": True,
                        "modelDescription": "",
                    },
                )
            ).json()
            await timed(
                "POST",
                registered["uploadUrl"],
                data=registered["uploadFields"],
                files={"file": (f"{name}.py", code)},
            )
            shape = (
                await timed(
                    "PUT",
                    "/api/models?multipartUpload=true",
                    json={"modelName": name, "modelVersion": 1, "weightSize": len(weights)},
                )
            ).json()
            await timed(
                "POST",
                shape["uploadUrl"],
                data=shape["uploadFields"],
                files={"file": ("weights", weights)},
            )
            await timed("POST", "/api/task-templates", json=template_body(f"bench-{number}"))
        except Exception as err:  # counted, not raised: the figure is how many succeed
            return False, latencies, f"{type(err).__name__}: {err}"
    return True, latencies, ""


def concurrent_clients(clients: int, weights_kib: int) -> bool:
    weights = os.urandom(weights_kib * 1024)
    with tempfile.TemporaryDirectory() as data:
        hub = Hub(data, threshold=10 * 1024 * 1024)
        try:

            async def run_all() -> list[tuple[bool, list[float], str]]:
                start = asyncio.Event()
                tasks = [
                    asyncio.create_task(one_client(n, hub.url, hub.headers, weights, start))
                    for n in range(clients)
                ]
                await asyncio.sleep(0.2)
                start.set()
                return await asyncio.gather(*tasks)

            began = time.perf_counter()
            results = asyncio.run(run_all())
            elapsed = time.perf_counter() - began
        finally:
            hub.stop()
    ok = sum(1 for good, _, _ in results if good)
    latencies = sorted(t for _, times, _ in results for t in times)
    errors: dict[str, int] = {}
    for good, _, error in results:
        if not good:
            errors[error] = errors.get(error, 0) + 1
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0
    print(
        f"{clients} concurrent clients (full upload each, {weights_kib} KiB weights): "
        f"{ok}/{clients} succeeded in {elapsed:.1f} s; per request p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms ({len(latencies)} requests)"
    )
    for error, count in sorted(errors.items(), key=lambda item: -item[1])[:5]:
        print(f"    {count} x {error}")
    return ok == clients


def big_upload_memory(size_mib: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.bin"
        with weights.open("wb") as out:
            for _ in range(size_mib):
                out.write(os.urandom(READ))
        result = run_once(weights, multipart=False)
    print(
        f"{size_mib} MiB single presigned POST: hub idle RSS {result['idle_rss_mib']:.1f} MiB, "
        f"peak {result['peak_rss_mib']:.1f} MiB (growth {result['server_rss_growth_mib']:.1f} "
        f"MiB), {result['mib_per_s']:.0f} MiB/s"
    )


def many_fields_memory(fields: int, field_kib: int) -> bool:
    import httpx

    value = b"v" * (field_kib * 1024)
    with tempfile.TemporaryDirectory() as data:
        hub = Hub(data, threshold=10 * 1024 * 1024)
        try:
            with httpx.Client(base_url=hub.url, headers=hub.headers, timeout=300) as api:
                code = b"class BenchModel:\n    pass\n"
                registered = api.post(
                    "/api/models",
                    json={
                        "modelName": "BenchModel",
                        "modelSize": len(code),
                        "modelHash": hashlib.sha256(code).hexdigest(),
                    },
                ).json()
                idle = hub.kib("VmRSS")

                def body() -> Iterator[bytes]:
                    for number in range(fields):
                        yield (
                            (
                                f'--b\r\nContent-Disposition: form-data; name="f{number}"\r\n\r\n'
                            ).encode()
                            + value
                            + b"\r\n"
                        )
                    yield b"--b--\r\n"

                started = time.perf_counter()
                try:
                    status = str(
                        api.post(
                            registered["uploadUrl"],
                            content=body(),
                            headers={"content-type": "multipart/form-data; boundary=b"},
                        ).status_code
                    )
                except httpx.HTTPError as err:
                    status = f"no answer ({type(err).__name__})"
                elapsed = time.perf_counter() - started
                peak = hub.kib("VmHWM")
        finally:
            hub.stop()
    print(
        f"{fields:,} form fields of {field_kib} KiB ({fields * field_kib / 1024:.0f} MiB): "
        f"answer {status} after {elapsed:.1f} s; hub idle RSS {idle / 1024:.1f} MiB, "
        f"peak {peak / 1024:.1f} MiB"
    )
    return status == "400"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3, help="runs per shape; the median is shown")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--big-mib", type=int, default=500, help="file for the memory section")
    parser.add_argument("--fields", type=int, default=7000)
    parser.add_argument(
        "--only", choices=["clients", "throughput", "memory"], help="run one section"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    args = parser.parse_args()
    if args.smoke:
        args.size_mib, args.repeat, args.clients, args.big_mib, args.fields = 2, 1, 5, 2, 50
    print(f"machine: {os.cpu_count()} cores (shared: compare figures of the same run)")
    as_expected = True  # every client succeeded, the big form was refused with 400
    if args.only in (None, "clients"):
        as_expected &= concurrent_clients(args.clients, 256)
    if args.only in (None, "throughput"):
        throughput(args.size_mib, args.repeat)
    if args.only in (None, "memory"):
        big_upload_memory(args.big_mib)
        as_expected &= many_fields_memory(args.fields, 60)
    if not as_expected:
        print("NOT AS EXPECTED: see above")
    return 0 if as_expected else 1


def throughput(size_mib: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.bin"
        with weights.open("wb") as out:
            for _ in range(size_mib):
                out.write(os.urandom(READ))
        print(f"receive throughput, weights of {size_mib} MiB:")
        for multipart in (False, True):
            runs = [run_once(weights, multipart) for _ in range(repeat)]
            speeds = sorted(r["mib_per_s"] for r in runs)
            growth = max(r["server_rss_growth_mib"] for r in runs)
            cpu = statistics.median(r["hub_cpu_s_per_gib"] for r in runs)
            print(
                f"{runs[0]['shape']:<30} median {statistics.median(speeds):7.1f} MiB/s "
                f"(runs: {', '.join(f'{v:.0f}' for v in speeds)})   "
                f"hub CPU {cpu:.2f} s/GiB   hub peak RSS growth at most {growth:.1f} MiB"
            )


if __name__ == "__main__":
    sys.exit(main())
