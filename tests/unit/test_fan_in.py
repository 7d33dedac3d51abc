"""`fan_in`: several producer threads, one consumer; bounded, fail-fast, never left hanging."""

from __future__ import annotations

import importlib
import itertools
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sources.common.fan_in import fan_in

PREFIX = "instagram-list-"
# the package re-exports the function under the module's name
FAN_IN_FILE = Path(importlib.import_module("sources.common.fan_in").__file__)


def list_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(PREFIX)}


def wait_until_gone(threads: set[threading.Thread], seconds: float) -> set[threading.Thread]:
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {t for t in threads if t.is_alive()}


def endless(tag: str, produced: list[int] | None = None) -> Callable[[], Iterator[tuple[str, int]]]:
    def producer() -> Iterator[tuple[str, int]]:
        for n in itertools.count():
            if produced is not None:
                produced.append(n)
            yield tag, n

    return producer


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    before = list_threads()
    yield
    # a bound on the wait, not a deadline under test: the threads end within 0.1 s of a close
    assert not wait_until_gone(list_threads() - before, 30.0), "fan_in left worker threads running"


def test_yields_everything_of_every_producer() -> None:
    producers = [lambda p=p: iter(range(p * 100, p * 100 + 37)) for p in range(6)]
    got = list(fan_in(producers, workers=3))
    assert sorted(got) == [p * 100 + n for p in range(6) for n in range(37)]


def test_keeps_each_producers_order_and_handles_empty_producers() -> None:
    producers = [lambda p=p: ((p, n) for n in range(50 if p % 2 else 0)) for p in range(5)]
    got = list(fan_in(producers, workers=4))
    for p in range(5):
        assert [n for q, n in got if q == p] == list(range(50 if p % 2 else 0))


def test_no_producers_yields_nothing_and_starts_no_thread() -> None:
    before = list_threads()
    assert list(fan_in([], workers=4)) == []
    assert list_threads() == before


def test_runs_at_most_workers_threads() -> None:
    seen: set[str] = set()
    lock = threading.Lock()

    def producer() -> Iterator[int]:
        with lock:
            seen.add(threading.current_thread().name)
        yield 1

    assert list(fan_in([producer] * 20, workers=3)) == [1] * 20
    assert seen and seen <= {f"{PREFIX}{n}" for n in range(3)}


def test_threads_are_daemons_named_for_the_lists() -> None:
    before = list_threads()
    generator = fan_in([endless("a"), endless("b")], workers=2)
    next(generator)
    mine = list_threads() - before
    assert len(mine) == 2 and all(t.daemon for t in mine)
    generator.close()


def test_bounded_queue_makes_producers_wait() -> None:
    produced: list[int] = []
    generator = fan_in([endless("a", produced)], workers=1)
    next(generator)
    time.sleep(0.3)  # the producer runs ahead only until the queue is full
    bound = max(4, 1 * 2)
    assert len(produced) <= 1 + bound + 1, f"{len(produced)} items produced for one consumed"
    generator.close()


def test_first_producer_exception_reaches_the_consumer_and_stops_the_others() -> None:
    produced: list[int] = []

    def failing() -> Iterator[tuple[str, int]]:
        yield "bad", 0
        raise KeyError("boom")

    before = list_threads()
    got = []
    with pytest.raises(KeyError, match="boom"):
        for item in fan_in([endless("good", produced), failing], workers=2):
            got.append(item)
    assert ("bad", 0) in got
    # every producer thread has ended, so none can go on
    assert not wait_until_gone(list_threads() - before, 30.0), "a producer went on after the failure"


def test_exception_of_a_producer_not_yet_started_is_raised() -> None:
    def failing() -> Iterator[int]:
        raise RuntimeError("late")
        yield  # pragma: no cover

    producers = [lambda: iter(range(10))] * 5 + [failing]
    with pytest.raises(RuntimeError, match="late"):
        list(fan_in(producers, workers=1))


def test_closing_the_consumer_early_ends_every_worker_within_a_second() -> None:
    before = list_threads()
    generator = fan_in([endless(str(n)) for n in range(6)], workers=4)
    for _ in range(3):
        next(generator)
    mine = list_threads() - before
    assert len(mine) == 4
    started = time.monotonic()
    generator.close()
    assert not wait_until_gone(mine, 1.0), "workers still running 1 s after the consumer closed"
    assert time.monotonic() - started < 1.0


def test_a_consumer_never_closed_does_not_keep_the_interpreter_alive(tmp_path: Path) -> None:
    # the module is loaded from its file so the child does not pay for importing dlt
    script = textwrap.dedent(
        f"""
        import importlib.util, itertools, sys, threading, time
        spec = importlib.util.spec_from_file_location("fan_in", {str(FAN_IN_FILE)!r})
        module = sys.modules["fan_in"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        producers = [lambda: itertools.count() for _ in range(4)]
        generator = module.fan_in(producers, workers=4)
        keep = [generator]  # never closed, never collected before exit
        print(next(generator), sum(t.name.startswith("instagram-list-") for t in threading.enumerate()), flush=True)
        print(time.monotonic(), flush=True)  # the script's end: the exit is timed from here
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    # CLOCK_MONOTONIC is the machine's: the interval is the interpreter's exit alone, not its
    # start-up, which a loaded machine stretches to seconds
    ended = time.monotonic()
    assert done.returncode == 0, done.stderr
    exiting = ended - float(done.stdout.split()[-1])
    assert done.stdout.split()[:2] == ["0", "4"]
    assert exiting < 3.0, f"the interpreter took {exiting:.1f} s to exit"
