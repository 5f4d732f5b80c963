"""The DAG that dagctl's webhook starts when a run ends (the product page's second flow).

dagctl POSTs the run's result to Airflow's dagRuns API
(Airflow 3: /api/v2/dags/dagctl_downstream/dagRuns, Airflow 2: /api/v1/...), so every DAG run
of this DAG has the result as its conf, and its run id is `dagctl__<dagctl run id>`:

    {"event": "job.completed", "job_run": {"id", "status", "error_message", "results", ...},
     "job": {...}, "project": {"id", "name", "type"}, "organization": {...}, "timestamp": "..."}

dbt and SQLMesh projects (project.type "dbt" or "sqlmesh") send the same fields, so one
DAG serves both.

check_dagctl_result fails on any status but `success`, with the run's error message, so
the tasks after it run only on good data. A `job.test` event (dagctl webhook test) is
skipped. Put your own tasks after check_result.
"""

from __future__ import annotations

from datetime import datetime

try:  # Airflow 3
    from airflow.sdk import DAG
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 2.10+
    from airflow import DAG
    from airflow.exceptions import AirflowFailException, AirflowSkipException
try:
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.python import PythonOperator


def process_dagctl_result(**context):
    conf = context["dag_run"].conf or {}
    if "job_run" not in conf:
        raise AirflowFailException(f"this DAG expects a dagctl webhook as its conf, got {conf!r}")
    event = conf["event"]  # job.completed, job.partial, job.failed, job.cancelled (or job.test)
    run = conf["job_run"]
    project = conf["project"]["name"]
    project_type = conf["project"].get("type", "dbt")  # dagctl before SQLMesh support sent no type
    if event == "job.test":
        raise AirflowSkipException(f"dagctl test event for {project}: the webhook reaches Airflow")
    status = run["status"]
    if status != "success":
        raise AirflowFailException(
            f"dagctl run {run['id']} for {project} ended {status}: {run.get('error_message')}"
        )
    print(f"dagctl run {run['id']} for {project} ({project_type}) completed in {run['duration_seconds']}s: {run.get('results')}")
    return {"run_id": run["id"], "status": status, "results": run.get("results"), "project_type": project_type}


with DAG(
    "dagctl_downstream",
    start_date=datetime(2026, 1, 1),
    schedule=None,  # started by dagctl's webhook only
    catchup=False,
    tags=["dagctl"],
) as dag:
    check_result = PythonOperator(
        task_id="check_dagctl_result",
        python_callable=process_dagctl_result,
    )

    # Add downstream tasks here:
    # check_result >> refresh_dashboards >> notify_stakeholders
