MODEL (
  name bakery.products,
  kind SEED (path '$root/seeds/products.csv'),
  grain product_id,
  audits (unique_values(columns := (product_id)), not_null(columns := (product_id, name)))
);
