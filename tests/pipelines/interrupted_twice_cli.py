"""`python -m pipelines.run` that receives SIGINT twice as its extract step starts: an operator
pressing Ctrl-C a second time while the run is reading. The second signal lands inside dlt's
extract step, deterministically (from outside, it lands there only now and then).

Usage: python -m tests.pipelines.interrupted_twice_cli [pipelines.run flags]
"""

from __future__ import annotations

import os
import signal
import sys

from dlt.extract.extract import Extract

extract = Extract.extract


def extract_after_two_signals(*args, **kwargs):
    for _ in range(2):
        os.kill(os.getpid(), signal.SIGINT)
    return extract(*args, **kwargs)


Extract.extract = extract_after_two_signals

if __name__ == "__main__":
    from pipelines.run import main

    sys.exit(main(sys.argv[1:]))
