MODEL (
  name bakery.daily_sales,
  kind INCREMENTAL_BY_TIME_RANGE (time_column sale_date, batch_size 3),
  cron '@daily',
  grain (sale_date, product_id),
  audits (
    not_null(columns := (sale_date, product_id, revenue)),
    positive_revenue,
    fail_on_demand,
    warn_on_demand
  )
);

SELECT
  o.order_date AS sale_date,
  o.product_id,
  SUM(o.quantity) AS items,
  SUM(o.quantity * p.unit_price)::DECIMAL(10, 2) AS revenue
FROM bakery.daily_orders AS o
JOIN bakery.products AS p ON p.product_id = o.product_id
WHERE o.order_date BETWEEN @start_ds AND @end_ds
GROUP BY o.order_date, o.product_id
