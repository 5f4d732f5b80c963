"""Oven temperature readings, one batch per day.

DAGCTL_EXAMPLE_SLOW_SECONDS=N makes each daily batch take N seconds (Ctrl-C / SIGINT stops
SQLMesh between batches).
"""
import os
import time
import typing as t
from datetime import datetime

import pandas as pd
from sqlmesh import ExecutionContext, model
from sqlmesh.core.model.kind import ModelKindName


@model(
    "bakery.oven_readings",
    kind=dict(name=ModelKindName.INCREMENTAL_BY_TIME_RANGE, time_column="reading_date", batch_size=1),
    cron="@daily",
    columns={"reading_date": "date", "oven": "text", "celsius": "int"},
)
def execute(
    context: ExecutionContext, start: datetime, end: datetime, execution_time: datetime, **kwargs: t.Any
) -> pd.DataFrame:
    slow = float(os.environ.get("DAGCTL_EXAMPLE_SLOW_SECONDS", "0") or 0)
    if slow > 0:
        time.sleep(slow)
    day = start.date()
    return pd.DataFrame(
        [
            {"reading_date": day, "oven": "deck", "celsius": 230 + day.day % 7},
            {"reading_date": day, "oven": "convection", "celsius": 180 + day.day % 5},
        ]
    )
