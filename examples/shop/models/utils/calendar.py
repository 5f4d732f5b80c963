"""One row per day of the reporting period, built in Python.

It is also the project's "slow" node: it sleeps `slow_seconds` seconds first
(--vars '{slow_seconds: 60}'), which lets dagctl's tests cancel or time out a run
while dbt is busy. The value arrives through the model config (see _utils.yml)
because Python models cannot call var() themselves.
"""
import time


def model(dbt, session):
    dbt.config(materialized="table")

    # Keep dbt.config.get() a plain statement: dbt finds the config keys a Python model
    # uses by static analysis and misses calls nested in expressions like `x or 0`.
    slow_seconds = dbt.config.get("slow_seconds", 0)
    if float(slow_seconds or 0) > 0:
        time.sleep(float(slow_seconds))

    first_day = dbt.config.get("first_day")
    last_day = dbt.config.get("last_day")
    return session.sql(
        f"""
        select
            cast(d as date)                   as calendar_day,
            dayname(d)                        as weekday,
            isodow(d) in (6, 7)               as is_weekend
        from range(date '{first_day}', date '{last_day}' + interval 1 day, interval 1 day) as t(d)
        """
    )
