"""``taskwizard hub``: run the local Bitfount-compatible hub on 127.0.0.1.

Imports of the server happen inside ``run`` so ``taskwizard --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=3000,
        help="port to listen on (default 3000, the Bitfount SDK's dev hub: http://localhost:3000)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on (default 127.0.0.1; other addresses are refused)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the hub's database and files (default: taskwizard's data folder)",
    )
    parser.add_argument(
        "--username",
        default=None,
        metavar="USER",
        help="the hub's user, who may upload (default: the username in your settings)",
    )
    parser.add_argument(
        "--multipart-threshold",
        type=int,
        default=None,
        metavar="BYTES",
        help="files larger than this are uploaded in parts (default 5 MiB)",
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="size of each part of a multipart upload (default 5 MiB)",
    )
    parser.add_argument(
        "--upload-expiry",
        type=float,
        default=None,
        metavar="SECONDS",
        help="an upload left incomplete this long is refused and its files deleted "
        "(default 7200, two hours)",
    )


def _default_username() -> str | None:
    from taskwizard import settings

    return settings.load_settings().username


def run(name: str, args: argparse.Namespace) -> int:
    import signal
    import time

    from taskwizard import paths
    from taskwizard.hub.localhub import (
        DEFAULT_CHUNK_SIZE,
        DEFAULT_MULTIPART_THRESHOLD,
        DEFAULT_UPLOAD_EXPIRY,
        LocalHub,
        LocalHubError,
    )

    username = args.username or _default_username()
    if not username:
        print(
            "taskwizard hub: no username; pass --username NAME "
            "(or set your username with `taskwizard setup`)",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print(f"taskwizard hub: --port {args.port} is not a port number (0-65535)", file=sys.stderr)
        return 2
    threshold = args.multipart_threshold
    if threshold is None:
        threshold = DEFAULT_MULTIPART_THRESHOLD
    chunk_size = DEFAULT_CHUNK_SIZE if args.chunk_size is None else args.chunk_size
    if threshold < 0 or chunk_size < 1:
        print(
            "taskwizard hub: --multipart-threshold must be >= 0 and --chunk-size >= 1",
            file=sys.stderr,
        )
        return 2
    expiry = DEFAULT_UPLOAD_EXPIRY if args.upload_expiry is None else args.upload_expiry
    if not expiry > 0:
        print(
            "taskwizard hub: --upload-expiry must be a positive number of seconds", file=sys.stderr
        )
        return 2
    data_dir = args.data if args.data is not None else paths.local_hub_dir()

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)

    try:
        hub = LocalHub(
            data_dir,
            username=username,
            host=args.host,
            port=args.port,
            multipart_threshold=threshold,
            chunk_size=chunk_size,
            upload_expiry=expiry,
            log=log,
        )
        hub.start()
    except LocalHubError as err:
        print(f"taskwizard hub: {err}", file=sys.stderr)
        return 1

    source = {
        "environment": "from BITFOUNT_API_KEY_ID / BITFOUNT_API_KEY",
        "arguments": "as given",
        "stored": f"stored in {data_dir / 'credentials.json'}",
        "generated": f"new, stored in {data_dir / 'credentials.json'}",
    }[hub.credentials_source]
    print(f"taskwizard local hub on {hub.url}  (data: {data_dir})")
    print(f"user: {hub.username}")
    print(f"API key pair ({source}); to upload to this hub, run in your shell:")
    if hub.credentials_source == "environment":
        print("  (already exported)")
    else:
        print(f"  export BITFOUNT_API_KEY_ID={hub.api_key_id}")
        print(f"  export BITFOUNT_API_KEY={hub.api_key}")
    print(f"then: taskwizard upload CONFIG --hub {hub.url}")
    if hub.port == 3000:
        print("Bitfount's own uploader reaches it too, with BITFOUNT_ENVIRONMENT=dev")
    print("Ctrl+C stops the hub.", flush=True)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        hub.wait()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
        signal.signal(signal.SIGTERM, previous)
        print("local hub stopped", file=sys.stderr)
    return 0
