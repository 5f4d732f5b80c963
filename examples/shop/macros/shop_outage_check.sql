{#-
  Pre-hook of every seed and model. With --vars '{scenario: failed}' it simulates a
  warehouse outage: the hook raises a database error, so every seed and model ends in
  `error` and everything downstream is skipped.
-#}
{% macro shop_outage_check() -%}
  {%- if var('scenario', '') == 'failed' -%}
    select error('simulated outage (scenario=failed): warehouse is read-only')
  {%- endif -%}
{%- endmacro %}
