{#-
    Statistics of campaign evaluation in portable SQL (DuckDB and Spark have no
    erf / normal CDF): the standard normal CDF, the pooled two-proportion z-test
    and the unpooled standard error of a difference of two rates.
-#}

{#- The 95 % two-sided critical value of the standard normal distribution. -#}
{% macro crm_z_critical_95() %}
    {{- return('1.959963984540054e0') -}}
{% endmacro %}


{% macro crm_horner_tail(coefficients, variable, start) %}
    {#-
        Cody's loop  num = start; for c in coefficients: num = (num + c) * variable
        unrolled into one SQL expression (a string).
    -#}
    {%- set expression = namespace(text=start) -%}
    {%- for coefficient in coefficients -%}
        {%- set expression.text = '(' ~ expression.text ~ ' + ' ~ coefficient ~ ') * ' ~ variable -%}
    {%- endfor -%}
    {{- return(expression.text) -}}
{% endmacro %}


{% macro crm_normal_cdf(x) %}
    {#- SQL: P(Z <= x) for a standard normal Z; null when x is null. -#}
    {{- return(adapter.dispatch('crm_normal_cdf', 'crm_warehouse')(x)) -}}
{% endmacro %}


{% macro default__crm_normal_cdf(x) %}
    {#-
        W. J. Cody's rational Chebyshev approximation (ACM TOMS Algorithm 715,
        the algorithm of R's pnorm): relative error below 1e-15 over the whole
        line, tails included, so tiny p-values keep their digits. Three ranges of
        y = |x|: [0, 0.67448975], (0.67448975, sqrt(32)], (sqrt(32), 37.5193];
        beyond, the tail is 0 in double precision. `x` is a SQL expression; it is
        repeated, so pass a column. Literals are written with an exponent so Spark
        reads them as doubles, not decimals.
    -#}
    {%- set a = ['2.2352520354606839287e0', '1.6102823106855587881e2', '1.0676894854603709582e3',
                 '1.8154981253343561249e4', '6.5682337918207449113e-2'] -%}
    {%- set b = ['4.7202581904688241870e1', '9.7609855173777669322e2', '1.0260932208618978205e4',
                 '4.5507789335026729956e4'] -%}
    {%- set c = ['3.9894151208813466764e-1', '8.8831497943883759412e0', '9.3506656132177855979e1',
                 '5.9727027639480026226e2', '2.4945375852903726711e3', '6.8481904505362823326e3',
                 '1.1602651437647350124e4', '9.8427148383839780218e3', '1.0765576773720192317e-8'] -%}
    {%- set d = ['2.2266688044328115691e1', '2.3538790178262499861e2', '1.5193775994075548050e3',
                 '6.4855582982667607550e3', '1.8615571640885098091e4', '3.4900952721145977266e4',
                 '3.8912003286093271411e4', '1.9685429676859990727e4'] -%}
    {%- set p = ['2.1589853405795699e-1', '1.274011611602473639e-1', '2.2235277870649807e-2',
                 '1.421619193227893466e-3', '2.9112874951168792e-5', '2.307344176494017303e-2'] -%}
    {%- set q = ['1.28426009614491121e0', '4.68238212480865118e-1', '6.59881378689285515e-2',
                 '3.78239633202758244e-3', '7.29751555083966205e-5'] -%}
    {%- set y = 'abs(cast(' ~ x ~ ' as double))' -%}
    {%- set ysq = '(' ~ y ~ ' * ' ~ y ~ ')' -%}
    {%- set inv_ysq = '(1.0e0 / ' ~ ysq ~ ')' -%}
    {#- Central range: P(Z <= x) - 0.5 = x * A(x^2) / B(x^2). -#}
    {%- set central = 'cast(' ~ x ~ ' as double) * (' ~ crm_horner_tail(a[:3], ysq, a[4] ~ ' * ' ~ ysq) ~ ' + ' ~ a[3] ~ ') / ('
        ~ crm_horner_tail(b[:3], ysq, ysq) ~ ' + ' ~ b[3] ~ ')' -%}
    {#- Middle range: P(Z > y) = exp(-y^2 / 2) * C(y) / D(y). -#}
    {%- set middle = 'exp(-0.5e0 * ' ~ ysq ~ ') * (' ~ crm_horner_tail(c[:7], y, c[8] ~ ' * ' ~ y) ~ ' + ' ~ c[7]
        ~ ') / (' ~ crm_horner_tail(d[:7], y, y) ~ ' + ' ~ d[7] ~ ')' -%}
    {#- Far tail: P(Z > y) = exp(-y^2 / 2) / y * (1 / sqrt(2 pi) - P(1/y^2) / Q(1/y^2) / y^2). -#}
    {%- set far = 'exp(-0.5e0 * ' ~ ysq ~ ') / ' ~ y ~ ' * (3.9894228040143267794e-1 - ' ~ inv_ysq ~ ' * ('
        ~ crm_horner_tail(p[:4], inv_ysq, p[5] ~ ' * ' ~ inv_ysq) ~ ' + ' ~ p[4] ~ ') / ('
        ~ crm_horner_tail(q[:4], inv_ysq, inv_ysq) ~ ' + ' ~ q[4] ~ '))' -%}
    (case
        when {{ x }} is null then cast(null as double)
        when {{ y }} <= 6.7448975e-1 then 0.5e0 + {{ central }}
        when {{ y }} <= 5.656854249492380195e0 and {{ x }} > 0 then 1.0e0 - {{ middle }}
        when {{ y }} <= 5.656854249492380195e0 then {{ middle }}
        when {{ y }} <= 3.75193e1 and {{ x }} > 0 then 1.0e0 - {{ far }}
        when {{ y }} <= 3.75193e1 then {{ far }}
        when {{ x }} > 0 then 1.0e0
        else 0.0e0
    end)
{%- endmacro %}


{% macro crm_two_sided_p_value(z) %}
    {#- SQL: two-sided p-value 2 * P(Z <= -|z|) of a z statistic (a column); null when z is null. -#}
    {#- least() skips nulls on DuckDB and Spark: keep a null z null explicitly. -#}
    {{- return(
        '(case when ' ~ z ~ ' is not null then least(1.0e0, 2.0e0 * ' ~ crm_normal_cdf('-abs(' ~ z ~ ')') ~ ') end)'
    ) -}}
{% endmacro %}


{% macro crm_two_proportion_z(successes_a, trials_a, successes_b, trials_b) %}
    {#-
        SQL: pooled two-proportion z statistic of rate a - rate b:
        (p_a - p_b) / sqrt(p (1 - p) (1 / n_a + 1 / n_b)) with p = (x_a + x_b) / (n_a + n_b).
        Null when a group is empty or the pooled rate is 0 or 1 (no variance).
    -#}
    {%- set rate_a = 'cast(' ~ successes_a ~ ' as double) / nullif(' ~ trials_a ~ ', 0)' -%}
    {%- set rate_b = 'cast(' ~ successes_b ~ ' as double) / nullif(' ~ trials_b ~ ', 0)' -%}
    {%- set pooled = '(cast(' ~ successes_a ~ ' + ' ~ successes_b ~ ' as double) / nullif(' ~ trials_a ~ ' + '
        ~ trials_b ~ ', 0))' -%}
    {{- return(
        '((' ~ rate_a ~ ') - (' ~ rate_b ~ ')) / nullif(sqrt(' ~ pooled ~ ' * (1.0e0 - ' ~ pooled
        ~ ') * (1.0e0 / nullif(' ~ trials_a ~ ', 0) + 1.0e0 / nullif(' ~ trials_b ~ ', 0))), 0)'
    ) -}}
{% endmacro %}


{% macro crm_rate_difference_se(successes_a, trials_a, successes_b, trials_b) %}
    {#- SQL: unpooled standard error sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b) of rate a - rate b. -#}
    {%- set rate_a = '(cast(' ~ successes_a ~ ' as double) / nullif(' ~ trials_a ~ ', 0))' -%}
    {%- set rate_b = '(cast(' ~ successes_b ~ ' as double) / nullif(' ~ trials_b ~ ', 0))' -%}
    {{- return(
        'sqrt(' ~ rate_a ~ ' * (1.0e0 - ' ~ rate_a ~ ') / nullif(' ~ trials_a ~ ', 0) + ' ~ rate_b
        ~ ' * (1.0e0 - ' ~ rate_b ~ ') / nullif(' ~ trials_b ~ ', 0))'
    ) -}}
{% endmacro %}
