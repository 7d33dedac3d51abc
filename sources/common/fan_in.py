"""Several producers, one consumer (the dlt resource's thread): `fan_in`."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

_WORKER_DONE = object()
_PUT_WAIT_SECONDS = 0.1


@dataclass
class _Failure:
    error: BaseException


def fan_in(producers: list[Callable[[], Iterator[Any]]], workers: int) -> Iterator[Any]:
    """Run each producer on up to `workers` threads and yield what they produce, as it comes.

    The queue is bounded, so producers wait for the consumer (memory stays flat). The first
    exception of a producer stops the others and is raised here.

    The threads are daemons that give up as soon as the consumer is gone: a consumer that is
    never closed (dlt drops a generator when Ctrl-C lands elsewhere) must not keep the process
    alive, and a producer must never block for ever on a full queue.
    """
    if not producers:
        return
    todo: queue.SimpleQueue[Callable[[], Iterator[Any]]] = queue.SimpleQueue()
    for producer in producers:
        todo.put(producer)
    results: queue.Queue[Any] = queue.Queue(maxsize=max(4, workers * 2))
    closed = threading.Event()

    def hand_over(item: Any) -> bool:
        while not closed.is_set():
            try:
                results.put(item, timeout=_PUT_WAIT_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            while not closed.is_set():
                try:
                    producer = todo.get_nowait()
                except queue.Empty:
                    return
                for item in producer():
                    if not hand_over(item):
                        return
        except BaseException as error:  # handed to the consumer, raised there
            hand_over(_Failure(error))
        finally:
            hand_over(_WORKER_DONE)

    threads = [
        threading.Thread(target=work, name=f"instagram-list-{n}", daemon=True)
        for n in range(min(workers, len(producers)))
    ]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            item = results.get()
            if item is _WORKER_DONE:
                running -= 1
            elif isinstance(item, _Failure):
                raise item.error
            else:
                yield item
    finally:
        closed.set()
