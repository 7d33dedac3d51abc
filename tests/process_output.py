"""Reading a subprocess's output while it runs, to wait for a line instead of sleeping."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO


class ProcessOutput:
    """The output of a started process (`stream`: its stdout or stderr pipe, in text mode),
    read by a thread as it comes, so that a test can act when a line appears (an event)
    instead of after a guessed delay."""

    def __init__(self, process: subprocess.Popen, stream: IO[str]):
        self.process = process
        self._stream = stream
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._stream:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, text: str, timeout: float = 120) -> bool:
        """Block until a line holding `text` appears (True) or the output ends (False). The
        timeout only stops a hung process from hanging the test; it is not expected to pass."""
        with self._changed:
            found = self._changed.wait_for(lambda: self._ended or any(text in line for line in self._lines), timeout)
            if not found:
                raise AssertionError(f"no {text!r} after {timeout} s:\n{''.join(self._lines)[-3000:]}")
            return any(text in line for line in self._lines)

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
        """Block until `condition()` holds (`what` it waits for, named if the process ends or
        the timeout passes first)."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the process ended before {what}:\n{self.text[-3000:]}"
            assert time.monotonic() < deadline, f"no {what} after {timeout} s"
            time.sleep(0.005)  # polling a condition, not a guess at how long the process takes

    def finish(self, timeout: float = 240) -> str:
        """Wait for the process to end; all of its output."""
        self.process.wait(timeout)
        self._reader.join(timeout)
        return self.text
