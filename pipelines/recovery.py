"""Recovery from a killed run: what a process killed inside one of dlt's multi-step commits
left in the pipeline's working folder, finished or undone before any step runs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import dlt

log = logging.getLogger("pipelines.recovery")

# The name dlt gives the temporary file of an atomic save (`FileStorage.save_atomic`: 8 random
# bytes in hex), written beside its target and then renamed over it.
DLT_TEMP_FILE = re.compile(r"[0-9a-f]{16}")


def recover_from_a_kill(pipeline: dlt.Pipeline) -> list[str]:
    """Finish or undo what a process killed inside one of dlt's multi-step commits left in the
    working folder; dlt itself trips over each on every later run. Call it before any step.
    Returns what it did (also logged as warnings).

    - the temporary file of a schema save, never renamed: dlt takes it for a schema, and every
      state sync fails (`InvalidSchemaName`);
    - a package normalized (or loaded) whose extracted copy normalize had not yet deleted:
      normalizing it again fails ("Directory not empty") or would load it twice; the renamed
      copy is complete (a rename is atomic), so the extracted one goes;
    - extracted packages while the pipeline has no schema (the first extraction committed its
      package, then died before saving schema and state): `normalize()` skips them for ever.
      Nothing of them was loaded or recorded in the state, so they are aborted and the run
      extracts again.
    """
    done: list[str] = []
    schemas = Path(pipeline.working_dir) / "schemas"
    if schemas.is_dir():
        for path in schemas.iterdir():
            if path.is_file() and DLT_TEMP_FILE.fullmatch(path.name):
                path.unlink()
                done.append(f"removed {path.name}, a schema save left half done")
    # a run that met such a file before this recovery existed recorded it as a schema
    stray = [name for name in pipeline.schema_names if DLT_TEMP_FILE.fullmatch(name)]
    if stray:
        with pipeline.managed_state() as state:
            state["schema_names"] = [name for name in state["schema_names"] if name not in stray]
        done.append(f"forgot the schema names {', '.join(stray)} (schema saves left half done)")
    committed = set(pipeline.list_normalized_load_packages()) | set(pipeline.list_completed_load_packages())
    for load_id in sorted(set(pipeline.list_extracted_load_packages()) & committed):
        # no public API deletes one extracted package; this is the call normalize ends with
        pipeline._get_normalize_storage().extracted_packages.delete_package(load_id)
        done.append(f"package {load_id} was normalized but its extracted copy was left: removed the copy")
    if pipeline.list_extracted_load_packages() and not pipeline.default_schema_name:
        orphans = ", ".join(pipeline.list_extracted_load_packages())
        pipeline.abort_packages()
        done.append(f"package {orphans} was extracted but the pipeline state was not saved: extracting again")
    for line in done:
        log.warning("recovering from a killed run: %s", line)
    return done
