"""Flour deliveries from the mill.

DAGCTL_EXAMPLE_FAIL_MODEL=1 makes this model fail (the mill's feed is "down"), so a run is
partial: this model and bakery.flour_stock (downstream) do not succeed, the others do.
"""
import os
import typing as t
from datetime import datetime

import pandas as pd
from sqlmesh import ExecutionContext, model


@model(
    "bakery.flour_deliveries",
    kind="FULL",
    cron="@daily",
    columns={"delivered_on": "date", "sacks": "int"},
)
def execute(
    context: ExecutionContext, start: datetime, end: datetime, execution_time: datetime, **kwargs: t.Any
) -> pd.DataFrame:
    if os.environ.get("DAGCTL_EXAMPLE_FAIL_MODEL", "") not in ("", "0"):
        raise RuntimeError("the mill's delivery feed is down (DAGCTL_EXAMPLE_FAIL_MODEL is set)")
    return pd.DataFrame([{"delivered_on": end.date(), "sacks": 12}])
