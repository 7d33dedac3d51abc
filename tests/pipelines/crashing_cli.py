"""`python -m pipelines.run` that kills itself (SIGKILL) inside one of dlt's commits that take
more than one file operation, the moments a kill from outside hits only now and then.

Usage: CRASH_INSIDE=<moment> python -m tests.pipelines.crashing_cli [pipelines.run flags]

- `extract_commit`: the extracted package is committed; the pipeline's schema and state are not
  saved yet;
- `normalize_commit`: the normalized package is renamed into place; the extracted one is not
  deleted yet;
- `schema_save`: a schema save while normalizing wrote its temporary file, not yet renamed over
  the schema;
- `publish`: the analysts' read copy is written to its temporary file, not yet renamed into
  place.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from dlt.common.storages.load_storage import LoadStorage
from dlt.extract.extract import Extract
from dlt.normalize.normalize import Normalize


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def then_die(cls: type, name: str) -> None:
    original = getattr(cls, name)

    def run_then_die(*args, **kwargs):
        original(*args, **kwargs)
        die()

    setattr(cls, name, run_then_die)


def die_before_a_schema_save_while_normalizing() -> None:
    normalize, replace = Normalize.run, os.replace
    normalizing = False

    def run(*args, **kwargs):
        nonlocal normalizing
        normalizing = True
        return normalize(*args, **kwargs)

    def replace_unless_a_schema(source, target, *args, **kwargs):
        target = Path(target)
        if normalizing and target.parent.name == "schemas" and target.name.endswith(".schema.json"):
            die()
        return replace(source, target, *args, **kwargs)

    Normalize.run = run
    os.replace = replace_unless_a_schema


def die_after_copying_the_read_copy() -> None:
    from pipelines.warehouse import PUBLISHING_SUFFIX

    copyfile = shutil.copyfile

    def copy_then_die(source, target, *args, **kwargs):
        copied = copyfile(source, target, *args, **kwargs)
        if str(target).endswith(PUBLISHING_SUFFIX):
            die()
        return copied

    shutil.copyfile = copy_then_die


MOMENTS = {
    "extract_commit": lambda: then_die(Extract, "commit_packages"),
    "normalize_commit": lambda: then_die(LoadStorage, "commit_new_load_package"),
    "schema_save": die_before_a_schema_save_while_normalizing,
    "publish": die_after_copying_the_read_copy,
}


if __name__ == "__main__":
    MOMENTS[os.environ["CRASH_INSIDE"]]()
    from pipelines.run import main

    sys.exit(main(sys.argv[1:]))
