-- Every store for every day of the period, including days without a sale.
with store_days as (
    select st.store_id, st.store_name, c.calendar_day, c.is_weekend
    from {{ ref('stg_stores') }} as st
    cross join {{ ref('calendar') }} as c
)

select
    sd.store_id,
    sd.store_name,
    sd.calendar_day,
    sd.is_weekend,
    coalesce(sum(f.quantity), 0)    as copies_sold,
    coalesce(sum(f.line_amount), 0) as revenue
from store_days as sd
left join {{ ref('fct_sales') }} as f
    on f.store_id = sd.store_id and f.sold_on = sd.calendar_day
group by all
