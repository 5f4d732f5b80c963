MODEL (
  name bakery.flour_stock,
  kind FULL,
  cron '@daily'
);

SELECT SUM(sacks) AS sacks_in_store
FROM bakery.flour_deliveries
