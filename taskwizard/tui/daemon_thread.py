"""Slow work the app must never wait for when it quits.

Reading a big file for editing (a 5 MiB config: parse with positions, then the config's own
checks, ~3 s) is pure Python that cannot stop halfway. As a Textual thread worker it ran on
asyncio's default executor, whose threads are joined when ``App.run`` ends
(``asyncio.run`` shuts the executor down and waits) and again at the interpreter's exit
(``concurrent.futures`` joins its threads): Ctrl+Q during the read quit only once the read
was over, although the app had stopped and given the terminal back long before.

:func:`in_daemon_thread` runs the work on a daemon thread of its own and is awaited by an
ordinary async worker. Cancelling that worker (Ctrl+Q, SIGTERM, the dialog closed) ends
the wait at once; the thread's result is dropped unseen, and the process does not wait for
the thread to exit. The work must therefore write nothing that outlives the process
(a read only reads; what it gives is used only by the awaiting worker)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def in_daemon_thread(work: Callable[[], T], *, name: str) -> T:
    """``work()``, run on a daemon thread named ``name``; what it returns or raises."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: Exception | None) -> None:  # on the loop's thread
        if answer.done():  # the wait was cancelled meanwhile: nobody wants it
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        error: Exception | None = None
        try:
            result = work()
        except Exception as exc:  # the awaiting worker raises it, as a thread worker would
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: the app has ended
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await answer
