{#- scenario=partial: the join key was renamed upstream and this model was not updated,
    so it fails with a binder error; its children are skipped, everything else succeeds.
    `dbt retry --vars '{scenario: ""}'` then re-runs just this model and its children. -#}
{%- set book_key = 'book_ref' if var('scenario', '') == 'partial' else 'book_id' -%}
select
    s.sale_id,
    s.sold_on,
    st.store_id,
    st.store_name,
    st.city,
    b.book_id,
    b.title,
    b.genre,
    s.quantity,
    s.unit_price,
    s.line_amount,
    (b.list_price - s.unit_price) * s.quantity as discount_amount
from {{ ref('stg_sales') }} as s
join {{ ref('stg_books') }}  as b  on b.book_id = s.{{ book_key }}
join {{ ref('stg_stores') }} as st on st.store_id = s.store_id
