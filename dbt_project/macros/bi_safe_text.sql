{#-
    Free text from a source file or an agency workbook, made safe for what BI tools do with it (show it,
    export it to a spreadsheet). Applied once, in staging, to every such text column that can reach the
    marts; the rule is documented in docs/marts.md ("Free text from the sources").
      1. cut to max_chars characters (a 50 MB cell is a mistake or an attack, never a name);
      2. control characters (U+0001-U+001F, U+007F-U+009F: tab, line breaks, bell…) become spaces, and
         the value is trimmed of spaces at either end, blank as null (as the loaders deliver text);
      3. a value starting with = + - @ (a spreadsheet formula) or with an apostrophe gets a leading
         apostrophe, unless it is a signed number ("-5", "+2,5%"), and is cut again to max_chars.
         Quoting a leading apostrophe too means the quoting never makes two different values one.
    Nearly every value needs none of it: the first branch returns those as they are after one test
    (about 0.5 µs a value on this machine), so a full build over every dossier version pays for the rest
    only on the values it changes.
-#}
{% macro bi_safe_text(column, max_chars) %}
    {%- set controls = "'[\\x01-\\x1f\\x7f-\\x9f]'" -%}
    {%- set cleaned -%}
        nullif(btrim(regexp_replace(left({{ column }}, {{ max_chars }}), {{ controls }}, ' ', 'g'), ' '), '')
    {%- endset -%}
    case
        when
            octet_length({{ column }}) <= {{ max_chars }}
            and {{ column }} !~ '^[=+@''-]|[\x01-\x1f\x7f-\x9f]'
            then {{ column }}
        when
            left({{ cleaned }}, 1) in ('=', '+', '-', '@', '''')
            and {{ cleaned }} !~ '^[+-][0-9][0-9.,]*%?$'
            then '''' || left({{ cleaned }}, {{ max_chars - 1 }})
        else {{ cleaned }}
    end
{%- endmacro %}
