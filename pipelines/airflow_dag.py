"""Airflow DAG `instagram`: extract the Instagram API with dlt into DuckDB, then run the transforms.

The load follows dlt's Airflow recipe, `PipelineTasksGroup.add_run(..., decompose="serialize")`:
one task per independent part of the source (a strongly connected group of resources), run one
after the other, each restoring the pipeline state from the DuckDB file and wiping its temporary
working folder afterwards. The last task builds `instagram_analytics` from `instagram_raw`.

With shards configured (`[sources.instagram] shards = [...]`), the load is one mapped task per
shard instead (`load_shard`, dynamic task mapping): each runs its shard's own pipeline in full,
side by side with the others, taking turns on the DuckDB file; `transforms` runs once, after all.

Unlike the plain recipe, each part's source is built inside its task, not when the DAG file is
parsed: the access token is read from the Airflow connection only there, so neither the DAG
processor nor the DAG file ever holds it.

Set up (docs/airflow.md):
- connection `instagram_api`: password = access token; extra `{"client_secret": "..."}` only for
  apps that enforce signed requests;
- with shards, connection `instagram_api_<shard>` for each shard instead;
- variable `instagram_duckdb_path`: absolute path of the DuckDB file on a persistent volume;
- other source settings (base URL, tags, users, ...) in `<dags folder>/.dlt/config.toml` or as
  `SOURCES__INSTAGRAM__...` environment variables of the workers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import dlt
import pendulum
from airflow.configuration import conf
from airflow.exceptions import AirflowNotFoundException
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.known_env import DLT_PROJECT_DIR
from dlt.extract import DltSource
from dlt.helpers.airflow_helper import PipelineTasksGroup
from tenacity import Retrying, stop_after_delay, wait_exponential

from pipelines.recipe import (
    PIPELINE_NAME,
    RAW_DATASET,
    build_analytics,
    build_pipeline,
    configured_shards,
    default_read_copy,
    duckdb_destination,
    publish_read_copy,
    raise_if_the_run_stopped,
    repair_after_load,
    run_lock,
    run_retrying_while_busy,
    warehouse_lock,
)
from sources.instagram import instagram

try:  # Airflow 3: the task SDK
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, BaseHook, Variable
    from airflow.sdk.log import mask_secret
except ImportError:  # Airflow 2.9 to 2.11
    from airflow import DAG
    from airflow.hooks.base import BaseHook
    from airflow.models import Variable
    from airflow.operators.python import PythonOperator
    from airflow.utils.log.secrets_masker import mask_secret

CONNECTION_ID = "instagram_api"
DUCKDB_PATH_VARIABLE = "instagram_duckdb_path"
LOAD_RETRY_SECONDS = 120
# Stands in for the token when the DAG is parsed: the source built then only names the tasks
# and is never run (building a source does no I/O).
PARSE_TIME_TOKEN = "not-a-token:the-real-one-is-read-inside-each-task"


class ConfigurationError(Exception):
    """The Airflow connection or variable the DAG needs is missing or invalid."""


def connection_id(shard: str | None = None) -> str:
    """The connection holding the token: `instagram_api`, or `instagram_api_<shard>`."""
    return CONNECTION_ID if shard is None else f"{CONNECTION_ID}_{shard}"


def instagram_secrets(shard: str | None = None) -> dict[str, str]:
    """The source's secrets from the connection of `shard` (`connection_id`), masked in every
    task log."""
    conn_id = connection_id(shard)
    try:
        connection = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConfigurationError(
            f"Airflow connection {conn_id!r} is missing: create it with the access token"
            " as its password (see docs/airflow.md)"
        ) from None
    if not connection.password:
        raise ConfigurationError(f"Airflow connection {conn_id!r} has no password: set it to the access token")
    secrets = {"access_token": connection.password}
    client_secret = connection.extra_dejson.get("client_secret")
    if client_secret:
        secrets["client_secret"] = client_secret
    for secret in secrets.values():
        mask_secret(secret)
    return secrets


def read_dlt_config_from_the_dags_folder() -> None:
    """dlt reads `<dags>/.dlt/` as its project folder, as PipelineTasksGroup sets it up (the
    shards' tasks run without the group, and the shard names are read before it exists)."""
    os.environ[DLT_PROJECT_DIR] = conf.get("core", "dags_folder")
    if PluggableRunContext in Container():
        Container()[PluggableRunContext].reload_providers()


def duckdb_path() -> Path:
    """The DuckDB file, from the `instagram_duckdb_path` variable.

    It must be absolute: PipelineTasksGroup gives each task a temporary working folder, deleted
    when the task ends, and a relative path would put the database there.
    """
    value = Variable.get(DUCKDB_PATH_VARIABLE, None)  # the default, positional on Airflow 2 and 3
    if not value:
        raise ConfigurationError(
            f"Airflow variable {DUCKDB_PATH_VARIABLE!r} is missing: set it to the absolute path"
            " of the DuckDB file on a persistent volume"
        )
    path = Path(value)
    if not path.is_absolute():
        raise ConfigurationError(
            f"Airflow variable {DUCKDB_PATH_VARIABLE!r} is {value!r}, a relative path: it would"
            " resolve inside the task's temporary folder and be deleted; use an absolute path"
        )
    if not path.parent.is_dir():
        raise ConfigurationError(f"the folder of the DuckDB file {path} does not exist on this worker")
    return path


def load_into_configured_duckdb_file() -> None:
    """Point dlt's DuckDB destination at the configured file, for this task's process only."""
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(duckdb_path())


class SourcePartBuiltInTask(DltSource):
    """One part of the source: its resources are known at parse time, its data in the task.

    PipelineTasksGroup names a task after the DltSource it is given, and calls the data it is
    given inside the task, just before the run, when that data is callable. This object is
    both: a copy of the parse-time part, which names the task, whose call builds the real
    source (with the secrets read from Airflow) and selects the same resources.
    """

    def __init__(self, part: DltSource) -> None:
        super().__init__(part.schema, part.section, list(part.resources.values()))

    def __call__(self) -> DltSource:
        return instagram(**instagram_secrets()).with_resources(*self.selected_resources)


def load_shard(shard: str) -> None:
    """Extract and load one shard (its own pipeline `instagram_<shard>`, its settings from that
    pipeline's sections of `<dags>/.dlt/config.toml`, its token from its connection) in a
    temporary working folder, its state restored from the DuckDB file. The shards' tasks run
    side by side and take turns on the DuckDB file (`run_lock`, as the command line's shards
    do); the transforms run once, after all of them."""
    database = duckdb_path()
    secrets = instagram_secrets(shard)
    with (
        run_lock(warehouse_lock(database), wait=True),
        tempfile.TemporaryDirectory(prefix=f"dlt_{shard}_") as working_dir,
    ):
        pipeline = build_pipeline(duckdb_destination(database), working_dir, progress=False, shard=shard)
        run_retrying_while_busy(pipeline, LOAD_RETRY_SECONDS, instagram(**secrets, shard=shard))
        repair_after_load(pipeline, LOAD_RETRY_SECONDS)
        raise_if_the_run_stopped(pipeline)


def run_transforms_on_loaded_data() -> None:
    """Repair the follow history after an interrupted load, then build `instagram_analytics`
    from the raw tables in the configured DuckDB file; fail the task if the source's last run
    stopped early (a refused token, a server that is not v1 or is down), else publish the
    analysts' read copy beside the file (docs/analysts.md)."""
    database = duckdb_path()
    with tempfile.TemporaryDirectory(prefix="dlt_transforms_") as working_dir:
        pipeline = build_pipeline(duckdb_destination(database), working_dir, progress=False)
        repair_after_load(pipeline)
        build_analytics(pipeline)
        pipeline.sync_destination()  # the state the load tasks committed, with their `last_run`
        raise_if_the_run_stopped(pipeline)
    publish_read_copy(database, default_read_copy(database))


with DAG(
    dag_id="instagram",
    description="Instagram API -> dlt -> DuckDB instagram_raw -> SQL -> instagram_analytics",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    # The source is incremental on its own state, not on data intervals: one run catches up.
    catchup=False,
    # One writer per DuckDB file; a run that hangs is failed before the next one is due.
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=20),
    default_args={"owner": "data-engineering", "retries": 0},
    tags=["instagram", "dlt", "duckdb"],
    doc_md=__doc__,
) as dag:
    read_dlt_config_from_the_dags_folder()
    shards = configured_shards()
    transform = PythonOperator(
        task_id="transforms",
        python_callable=run_transforms_on_loaded_data,
        retries=2,
        retry_delay=timedelta(minutes=2),
    )
    if shards:
        # one mapped task per shard, all side by side; the transforms wait for every one
        load_shards = PythonOperator.partial(
            task_id="load_shard", python_callable=load_shard, map_index_template="{{ task.op_kwargs['shard'] }}"
        ).expand(op_kwargs=[{"shard": shard} for shard in shards])
        load_shards >> transform
    else:
        load = PipelineTasksGroup(
            PIPELINE_NAME,
            use_data_folder=False,
            wipe_local_data=True,
            # A load that finds the DuckDB file locked by a reader is retried for up to 2 minutes;
            # extraction is not (the API's rate budget is better spent by the next scheduled run).
            retry_policy=Retrying(
                stop=stop_after_delay(LOAD_RETRY_SECONDS),
                wait=wait_exponential(multiplier=1, min=2, max=30),
                reraise=True,
            ),
            retry_pipeline_steps=("load",),
        )
        # Created after the group: the group points dlt's data folder at a per-task temporary one.
        pipeline = dlt.pipeline(pipeline_name=PIPELINE_NAME, destination="duckdb", dataset_name=RAW_DATASET)
        load_tasks = []
        for part in instagram(access_token=PARSE_TIME_TOKEN).decompose("scc"):
            (task,) = load.add_run(
                pipeline,
                SourcePartBuiltInTask(part),
                on_before_run=load_into_configured_duckdb_file,
                # A failed part does not stop the next ones; the transforms still wait for all.
                trigger_rule="all_done",
            )
            if load_tasks:
                load_tasks[-1] >> task
            load_tasks.append(task)
        # dlt.pipeline() above wrote a working folder for this parse, and the DAG file is parsed
        # every 30 s or so; each task makes (and wipes) its own, so this one can go.
        shutil.rmtree(os.environ["DLT_DATA_DIR"], ignore_errors=True)
        load_tasks >> transform
