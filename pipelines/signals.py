"""SIGINT and SIGTERM, handled alike by every command of `pipelines/` (the run, `python -m
transforms`, the report): the first one stops where what was done can be kept, a second one
stops at once; the exit code says which signal stopped the command."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger("pipelines")

# The exit code of a command interrupted by a signal: 128 + the signal's number, as shells
# report a process that a signal stopped.
EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


def never() -> bool:
    return False


class StopSignals:
    """The first SIGINT or SIGTERM calls `stop_softly`, which asks the command to stop where
    it can keep its work and says whether it could (`stopping` then says how, in the log); a
    second signal, or a first one that cannot stop softly, raises KeyboardInterrupt."""

    def __init__(self, stop_softly: Callable[[], bool] = never, stopping: str = "stopping") -> None:
        self.signal: int | None = None
        self._stop_softly = stop_softly
        self._stopping = stopping

    def install(self, noted: Sequence[int] = ()) -> None:
        """Handle both signals from now on; `noted`: signals received before, the first taken over."""
        for signum in EXIT_INTERRUPTED:
            signal.signal(signum, self._receive)
        if noted and self.signal is None:
            self.signal = noted[0]

    def _receive(self, signum: int, _frame: Any) -> None:
        first = self.signal is None
        self.signal = self.signal or signum
        if not (first and self._stop_softly()):
            raise KeyboardInterrupt
        log.warning("%s received: %s", signal.Signals(signum).name, self._stopping)

    def requested(self) -> bool:
        return self.signal is not None

    def exit_code(self) -> int:
        """The exit code of a command these signals stopped (SIGINT's for KeyboardInterrupt alone)."""
        return EXIT_INTERRUPTED[self.signal or signal.SIGINT]


def ignore_signals() -> None:
    """Once a command's work is done: a signal landing while the interpreter shuts down must
    not turn its exit code into "killed by a signal"."""
    for signum in EXIT_INTERRUPTED:
        signal.signal(signum, signal.SIG_IGN)
