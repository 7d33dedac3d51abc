"""Airflow DAG `instagram`: extract the Instagram API with dlt into DuckDB, then run the transforms.

Both tasks run the project's recipe (`pipelines.recipe`), as `python -m pipelines.run` does:
`load` extracts and loads (lock, recovery, pending loads, busy retries, the repair; it fails when
the source stopped early), in a temporary working folder, its state restored from the DuckDB
file; `transforms` then builds `instagram_analytics` and publishes the analysts' read copy.

With shards configured (`[sources.instagram] shards = [...]`), the load is one mapped task per
shard instead (`load_shard`, dynamic task mapping): each runs its shard's own pipeline in full,
side by side with the others, taking turns on the DuckDB file; `transforms` runs once, after all.
With `[pipelines] api = "graph"`, the load reads the Instagram Graph API instead (`load_graph`,
the source `sources.instagram_graph`, its token in the connection `instagram_graph_api`).

The source is built inside its task, never when the DAG file is parsed: the access token is
read from the Airflow connection only there, so neither the DAG processor nor the DAG file ever
holds it.

Set up (docs/airflow.md):
- connection `instagram_api`: password = access token; extra `{"client_secret": "..."}` only for
  apps that enforce signed requests;
- with shards, connection `instagram_api_<shard>` for each shard instead;
- for the Graph API, connection `instagram_graph_api`: password = access token; extra
  `{"app_secret": "..."}` only for apps that require `appsecret_proof`;
- variable `instagram_duckdb_path`: absolute path of the DuckDB file on a persistent volume;
- other source settings (base URL, tags, users, ...) in `<dags folder>/.dlt/config.toml` or as
  `SOURCES__INSTAGRAM__...` (`SOURCES__INSTAGRAM_GRAPH__...`) environment variables of the workers.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.configuration import conf
from airflow.exceptions import AirflowNotFoundException
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.known_env import DLT_PROJECT_DIR

from pipelines.recipe import Steps, run_recipe
from pipelines.warehouse import GRAPH_API, Warehouse, configured_api, configured_shards, default_read_copy
from sources.instagram import instagram
from sources.instagram_graph import instagram_graph

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
GRAPH_CONNECTION_ID = "instagram_graph_api"
DUCKDB_PATH_VARIABLE = "instagram_duckdb_path"
LOAD_RETRY_SECONDS = 120


class ConfigurationError(Exception):
    """The Airflow connection or variable the DAG needs is missing or invalid."""


def connection_id(shard: str | None = None) -> str:
    """The connection holding the token: `instagram_api`, or `instagram_api_<shard>`."""
    return CONNECTION_ID if shard is None else f"{CONNECTION_ID}_{shard}"


def instagram_secrets(shard: str | None = None) -> dict[str, str]:
    """The v1 source's secrets from the connection of `shard` (`connection_id`), masked in
    every task log."""
    return secrets_of(connection_id(shard), "client_secret")


def secrets_of(conn_id: str, extra_secret: str) -> dict[str, str]:
    """The access token (the connection's password) and `extra_secret` (from its extra, when
    set) of the connection `conn_id`, masked in every task log."""
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
    if connection.extra_dejson.get(extra_secret):
        secrets[extra_secret] = connection.extra_dejson[extra_secret]
    for secret in secrets.values():
        mask_secret(secret)
    return secrets


def read_dlt_config_from_the_dags_folder() -> None:
    """dlt reads `<dags>/.dlt/` as its project folder (dlt's Airflow helper would set it up,
    but the tasks run the recipe without it, and the shard names and the API are read when the
    DAG file is parsed). dlt's own Airflow provider (settings in the Airflow variable
    `dlt_secrets_toml`) is off unless the environment turns it on: it looks up an Airflow
    variable for each setting a run resolves, over 400 a task, each a request to Airflow's API
    server on Airflow 3, and the DAG reads none of them (its secrets are in its connections,
    docs/airflow.md)."""
    os.environ[DLT_PROJECT_DIR] = conf.get("core", "dags_folder")
    os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
    if PluggableRunContext in Container():
        Container()[PluggableRunContext].reload_providers()


def duckdb_path() -> Path:
    """The DuckDB file, from the `instagram_duckdb_path` variable.

    It must be absolute: each task runs in a temporary working folder, deleted when the task
    ends, and a relative path would put the database there.
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


def load(shard: str | None = None) -> None:
    """Extract and load (the recipe up to the repair) in a temporary working folder, the state
    restored from the DuckDB file: the unsharded pipeline, or `shard`'s own (`instagram_<shard>`,
    its settings from that pipeline's sections of `<dags>/.dlt/config.toml`, its token from its
    connection). Tasks wait for their turn on the DuckDB file (the run lock); the shards' tasks
    run side by side and take turns on it too. Fails when the source stopped early (a refused
    token, a server that is not v1 or is down), after loading what it read."""
    warehouse = Warehouse("duckdb", duckdb_path())
    secrets = instagram_secrets(shard)
    with tempfile.TemporaryDirectory(prefix=f"dlt_{shard or 'load'}_") as working_dir:
        steps = Steps(
            source=lambda: instagram(**secrets, shard=shard),
            transforms=False,
            shard=shard,
            pipelines_dir=working_dir,
            progress=False,
            wait_for_the_lock=True,
            load_wait=LOAD_RETRY_SECONDS,
        )
        run_recipe(warehouse, steps)


def load_graph() -> None:
    """Extract and load the Graph API's source (its own pipeline, `instagram_graph`, into
    `instagram_graph_raw`), as `load` does the v1 source's; its token and app secret from the
    connection `instagram_graph_api`."""
    secrets = secrets_of(GRAPH_CONNECTION_ID, "app_secret")
    with tempfile.TemporaryDirectory(prefix="dlt_graph_") as working_dir:
        steps = Steps(
            source=lambda: instagram_graph(**secrets),
            api=GRAPH_API,
            repair=False,  # the follow history it repairs is v1's
            transforms=False,
            pipelines_dir=working_dir,
            progress=False,
            wait_for_the_lock=True,
            load_wait=LOAD_RETRY_SECONDS,
        )
        run_recipe(Warehouse("duckdb", duckdb_path()), steps)


def build_analytics() -> None:
    """Build `instagram_analytics` from the raw tables in the configured DuckDB file (the
    repair first), then publish the analysts' read copy beside it (docs/analysts.md)."""
    database = duckdb_path()
    with tempfile.TemporaryDirectory(prefix="dlt_transforms_") as working_dir:
        steps = Steps(
            recover=False,
            publish_to=default_read_copy(database),
            pipelines_dir=working_dir,
            progress=False,
            load_wait=LOAD_RETRY_SECONDS,
        )
        run_recipe(Warehouse("duckdb", database), steps)


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
        python_callable=build_analytics,
        retries=2,
        retry_delay=timedelta(minutes=2),
    )
    if configured_api() == GRAPH_API:
        PythonOperator(task_id="load_graph", python_callable=load_graph) >> transform
    elif shards:
        # one mapped task per shard, all side by side; the transforms wait for every one
        load_shards = PythonOperator.partial(
            task_id="load_shard", python_callable=load, map_index_template="{{ task.op_kwargs['shard'] }}"
        ).expand(op_kwargs=[{"shard": shard} for shard in shards])
        load_shards >> transform
    else:
        # extraction is not retried: the API's rate budget is better spent by the next scheduled run
        PythonOperator(task_id="load", python_callable=load) >> transform
