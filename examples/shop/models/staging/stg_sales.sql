with till_lines as (

    select sale_id, sold_on, store_id, book_id, quantity, unit_price
    from {{ ref('sales') }}

    {% if var('scenario', '') == 'bad_data' -%}
    -- scenario=bad_data: the till of the kiosk double-scanned a return as a sale with a
    -- negative quantity; the singular test assert_sale_quantity_positive catches it.
    union all
    select 5999, date '2025-03-06', 3, 104, -1, 16.00
    {%- endif %}

)

select
    sale_id,
    sold_on,
    store_id,
    book_id,
    quantity,
    unit_price,
    quantity * unit_price as line_amount
from till_lines
