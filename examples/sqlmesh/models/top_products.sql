MODEL (
  name bakery.top_products,
  kind VIEW
);

SELECT name, category, revenue
FROM bakery.product_totals
ORDER BY revenue DESC
LIMIT 3
