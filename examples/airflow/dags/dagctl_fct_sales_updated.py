"""A DAG scheduled on one dbt model: it runs when, and only when, a dagctl run rebuilt it.

A job with `dagctl job update shop/default --airflow-assets http://AIRFLOW:8080` posts an
Airflow asset event for each model its runs built (docs/airflow.md, Per-model assets), under
the URI dbt://<dagctl project>/<unique_id>. Each event's extra says which dagctl run built
the model: {"dagctl_run_id", "job", "project", "unique_id", "relation_name", "status",
"execution_time"}.

Airflow 3 (asset events API); on Airflow 2.10+ the file imports (as a Dataset) but dagctl
posts no events there.
"""

from __future__ import annotations

from datetime import datetime

try:  # Airflow 3
    from airflow.sdk import DAG, Asset
except ImportError:  # Airflow 2.10+
    from airflow import DAG
    from airflow.datasets import Dataset as Asset
try:
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.python import PythonOperator

FCT_SALES = Asset("dbt://shop/model.shop.fct_sales")


def report_rebuild(**context):
    events = context.get("triggering_asset_events") or context.get("triggering_dataset_events") or {}
    runs = [e.extra.get("dagctl_run_id") for e in events.get(FCT_SALES, [])]
    print(f"fct_sales was rebuilt by dagctl run(s) {runs}")
    return {"dagctl_run_ids": runs}


with DAG(
    "dagctl_fct_sales_updated",
    start_date=datetime(2026, 1, 1),
    schedule=[FCT_SALES],  # a run per asset event (or per batch of them)
    catchup=False,
    tags=["dagctl"],
) as dag:
    PythonOperator(task_id="report_rebuild", python_callable=report_rebuild)
