"""Trigger dagctl and return at once (the product page's full loop, without polling).

trigger_dbt_run POSTs the trigger (pushing the run id to XCom) and ends. When the run ends,
dagctl's webhook starts the separate DAG `dagctl_downstream` with the result as its conf,
so nothing in Airflow waits for dbt.

Configuration as for dagctl_trigger_and_wait: the connection `dagctl_api`, the Variables
`dagctl_project_id` and `dagctl_job_id`; and the job's webhook pointed at
/api/v2/dags/dagctl_downstream/dagRuns (see docs/airflow.md, or scripts/airflow-dev, which
sets it up). Trigger with conf {"command_override": "dbt build --select my_model+"}.
"""

from __future__ import annotations

from datetime import datetime

try:  # Airflow 3
    from airflow.sdk import DAG, Param
except ImportError:  # Airflow 2.10+
    from airflow import DAG
    from airflow.models.param import Param
from airflow.providers.http.operators.http import HttpOperator

PROJECT = "{{ var.value.get('dagctl_project_id', 'shop') }}"
JOB = "{{ var.value.get('dagctl_job_id', 'default') }}"

# This DAG triggers dagctl. The webhook fires a SEPARATE DAG (dagctl_downstream) on completion.
with DAG(
    "dagctl_full_loop",
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
