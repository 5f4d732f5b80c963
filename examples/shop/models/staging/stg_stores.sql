select
    store_id,
    trim(store_name) as store_name,
    trim(city)       as city,
    opened_on
from {{ ref('stores') }}
