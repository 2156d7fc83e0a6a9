{#-
    The sale rule (docs/definitions.md#purchases-and-occasions), in one place: an order
    is a sale when its status is paid, shipped or completed and its net amount is
    positive; it is dated by coalesce(paid_at, ordered_at). A purchase is a sale by a
    member (staging's is_purchase); sales by guests count only where the question is
    about all of a store's orders (the member capture rate of store_performance).
-#}

{% macro crm_is_sale(status_sql='status', net_amount_sql='net_amount') %}
    {#- SQL (boolean): the order is a sale. -#}
    {{- return("(" ~ status_sql ~ " in ('paid', 'shipped', 'completed') and " ~ net_amount_sql ~ " > 0)") -}}
{% endmacro %}


{% macro crm_sale_date(paid_at_sql='paid_at', ordered_at_sql='ordered_at') %}
    {#- SQL (date): the day a sale (or purchase) counts on. -#}
    {{- return("cast(coalesce(" ~ paid_at_sql ~ ", " ~ ordered_at_sql ~ ") as date)") -}}
{% endmacro %}
