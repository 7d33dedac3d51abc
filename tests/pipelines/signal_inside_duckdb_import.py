"""Run `python -m pipelines.run` with a SIGINT delivered while duckdb's C extension initialises.

That moment lasts some milliseconds of the CLI's start and cannot be hit reliably with a timer:
the extension's init calls back into Python code, and the first such call sends the signal, so
the CLI's handler runs inside the init (where an exception becomes an ImportError)."""

import importlib.abc
import importlib.machinery
import os
import runpy
import signal
import sys


def _signal_at_the_first_python_call(frame, event, _arg):
    # importlib's own frames run before the extension's code does
    if event == "call" and not frame.f_code.co_filename.startswith("<frozen"):
        sys.setprofile(None)
        os.kill(os.getpid(), signal.SIGINT)


class SignalInsideDuckdbInit(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "_duckdb":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        exec_module = spec.loader.exec_module

        def exec_module_with_a_signal(module):
            sys.setprofile(_signal_at_the_first_python_call)
            try:
                exec_module(module)
            finally:
                sys.setprofile(None)

        spec.loader.exec_module = exec_module_with_a_signal
        return spec


sys.meta_path.insert(0, SignalInsideDuckdbInit())
sys.argv = ["pipelines.run", *sys.argv[1:]]
runpy.run_module("pipelines.run", run_name="__main__", alter_sys=True)
