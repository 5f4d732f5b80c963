MODEL (
  name bakery.product_totals,
  kind FULL,
  cron '@daily',
  grain product_id
);

SELECT
  p.product_id,
  p.name,
  p.category,
  COALESCE(SUM(s.items), 0) AS items,
  COALESCE(SUM(s.revenue), 0)::DECIMAL(12, 2) AS revenue
FROM bakery.products AS p
LEFT JOIN bakery.daily_sales AS s ON s.product_id = p.product_id
GROUP BY p.product_id, p.name, p.category
