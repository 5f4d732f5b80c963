-- The bakery's orders repeat every fortnight: day_number 0-13 of the cycle.
MODEL (
  name bakery.orders,
  kind SEED (path '$root/seeds/orders.csv'),
  grain order_id
);
