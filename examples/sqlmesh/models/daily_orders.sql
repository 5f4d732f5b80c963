-- Each day gets the orders of its place in the fortnightly cycle.
MODEL (
  name bakery.daily_orders,
  kind INCREMENTAL_BY_TIME_RANGE (time_column order_date, batch_size 2),
  cron '@daily',
  grain (order_id, order_date),
  audits (not_null(columns := (order_id, order_date, product_id)))
);

SELECT
  o.order_id,
  d.order_date::DATE AS order_date,
  o.customer_id,
  o.product_id,
  o.quantity
FROM (
  SELECT unnest(generate_series(@start_ds::DATE, @end_ds::DATE, INTERVAL 1 DAY)) AS order_date
) AS d
JOIN bakery.orders AS o
  ON o.day_number = (d.order_date::DATE - DATE '2026-01-01') % 14
WHERE d.order_date::DATE BETWEEN @start_ds AND @end_ds
