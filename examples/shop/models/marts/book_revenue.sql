select
    b.book_id,
    b.title,
    b.author,
    b.genre,
    coalesce(sum(f.quantity), 0)          as copies_sold,
    coalesce(sum(f.line_amount), 0)       as revenue,
    count(distinct f.store_id)            as stores_selling
from {{ ref('stg_books') }} as b
left join {{ ref('fct_sales') }} as f on f.book_id = b.book_id
group by all
