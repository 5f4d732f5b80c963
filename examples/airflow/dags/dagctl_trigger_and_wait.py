"""Trigger a dagctl job and wait for its run to finish (the product page's first flow).

trigger_dbt_run      POST /api/v1/projects/{project}/jobs/{job}/trigger with a command_override;
                     pushes the run id (job_run_id) to XCom.
wait_for_completion  polls GET /api/v1/runs/{run id} until the run is terminal; succeeds on
                     `success`, fails (without retries) on partial, failed, error or cancelled,
                     with the run's error_message.

Configuration (see README.md beside the dags/ folder):
- the HTTP connection `dagctl_api`, e.g. from the environment:
    AIRFLOW_CONN_DAGCTL_API='{"conn_type": "http", "host": "127.0.0.1", "port": 8780,
                              "extra": {"Authorization": "Bearer dctl_..."}}'
- Airflow Variables `dagctl_project_id` and `dagctl_job_id` (ids or names; defaults `shop`
  and `default`), e.g. AIRFLOW_VAR_DAGCTL_PROJECT_ID=shop in the environment;
- DAGCTL_POKE_INTERVAL (seconds between polls, default 30) and DAGCTL_WAIT_TIMEOUT
  (seconds, default 3600) in the environment of the DAG processor and the workers.
Trigger with conf {"command_override": "dbt build --select my_model+"} to run a subset.
"""

from __future__ import annotations

import os
from datetime import datetime

try:  # Airflow 3
    from airflow.sdk import DAG, Param
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 2.10+
    from airflow import DAG
    from airflow.exceptions import AirflowFailException
    from airflow.models.param import Param
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor

PROJECT = "{{ var.value.get('dagctl_project_id', 'shop') }}"
JOB = "{{ var.value.get('dagctl_job_id', 'default') }}"
TERMINAL = ("success", "partial", "failed", "error", "cancelled")


def run_finished(response) -> bool:
    """HttpSensor check: False while queued or running, True on success, fails the task otherwise."""
    run = response.json()
    status = run["status"]
    if status not in TERMINAL:
        progress = run.get("progress") or {}
        print(f"dagctl run {run['id']} is {status} ({progress.get('done', '?')}/{progress.get('total', '?')} nodes)")
        return False
    if status != "success":
        raise AirflowFailException(
            f"dagctl run {run['id']} ended {status}: {run.get('error_message')} (results: {run.get('results')})"
        )
    print(f"dagctl run {run['id']} succeeded in {run.get('duration_seconds')}s: {run.get('results')}")
    return True


with DAG(
    "dagctl_trigger_and_wait",
    start_date=datetime(2026, 1, 1),
    schedule=None,  # e.g. "@daily"
    catchup=False,
    params={"command_override": Param("dbt build", type="string", description="a dbt command for this run")},
    tags=["dagctl"],
) as dag:
    trigger = HttpOperator(
        task_id="trigger_dbt_run",
        http_conn_id="dagctl_api",
        endpoint=f"/api/v1/projects/{PROJECT}/jobs/{JOB}/trigger",
        method="POST",
        headers={"Content-Type": "application/json"},
        data='{"command_override": {{ params.command_override | tojson }}}',
        response_filter=lambda response: response.json()["job_run_id"],
        log_response=True,
    )

    wait = HttpSensor(
        task_id="wait_for_completion",
        http_conn_id="dagctl_api",
        endpoint="/api/v1/runs/{{ ti.xcom_pull(task_ids='trigger_dbt_run') }}",
        method="GET",
        response_check=run_finished,
        poke_interval=float(os.environ.get("DAGCTL_POKE_INTERVAL", "30")),
        timeout=float(os.environ.get("DAGCTL_WAIT_TIMEOUT", "3600")),
        mode="poke",
    )

    trigger >> wait
