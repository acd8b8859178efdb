"""Rule lint (warnings with lines) and schema errors for bad rules."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from orderkit.config import validate_config_text
from orderkit.config.semantic import plain_data
from orderkit.config.yaml_lines import load_yaml
from orderkit.errors import ConfigProblem
from orderkit.rules import lint_rules

NOW = datetime(2026, 4, 15, tzinfo=UTC)

HEAD = """\
version: 1
warehouses:
  - {code: HZ, name: 杭州仓}
skus:
  山茶花润肤霜: {weight_g: 120}
  G2026-01: {weight_g: 50}
couriers:
  - {code: zto}
rules:
"""


def lint(rules_yaml: str) -> list[str]:
    text = HEAD + textwrap.indent(textwrap.dedent(rules_yaml).strip("\n"), "  ") + "\n"
    document = load_yaml(text)
    data, _ = plain_data(document.data, document.lines)
    problems = lint_rules(data, document.lines, now=NOW)
    return [f"{p.severity} {p}" for p in problems]


def schema_errors(rules_yaml: str) -> list[str]:
    text = HEAD + textwrap.indent(textwrap.dedent(rules_yaml).strip("\n"), "  ") + "\n"
    return [str(p) for p in validate_config_text(text) if p.severity == "error"]


def test_a_clean_rule_set_has_no_warning() -> None:
    assert (
        lint(
            """
        gifts:
          - id: spring-299
            when: {paid: {gte: 299}, sku: {any: [山茶花润肤霜]}}
            add: [G2026-01]
        """
        )
        == []
    )


def test_exclusive_gifts_of_equal_priority_that_overlap() -> None:
    assert lint(
        """
        gifts:
          - {id: a, exclusive: true, when: {paid: {gte: 100}}, add: [G2026-01]}
          - {id: b, exclusive: true, when: {paid: {gte: 200}}, add: [G2026-01]}
          - {id: c, exclusive: true, when: {paid: {lte: 99}}, add: [G2026-01]}
          - {id: d, exclusive: true, priority: 5, add: [G2026-01]}
        """
    ) == [
        "warning rules.gifts[1]: overlaps a (rules.gifts[0]), same priority 100 and one of them "
        "exclusive: which gives depends on the order in the file; give them different priorities "
        "(line 12)"
    ]


def test_rules_that_can_never_match() -> None:
    assert lint(
        """
        gifts:
          - {id: a, when: {paid: {gte: 300, lte: 200}}, add: [G2026-01]}
          - {id: b, when: {items: {between: [5, 2]}}, add: [G2026-01]}
          - {id: c, when: {sku: {all: [山茶花润肤霜], none: [山茶花润肤霜]}}, add: [G2026-01]}
          - {id: d, when: {paid: {gte: 1}}}
        holds:
          - {id: e, check: amount_above}
        allocation:
          - {id: all, warehouses: [HZ]}
          - {id: late, when: {shop: s1}, warehouses: [HZ]}
        """
    ) == [
        "warning rules.gifts[0].when.paid: can never match: the lower bound is above the upper "
        "bound ({'gte': 300, 'lte': 200}) (line 11)",
        "warning rules.gifts[1].when.items.between: can never match: 5 is above 2 (line 12)",
        "warning rules.gifts[2].when.sku: can never match: 山茶花润肤霜 both wanted and excluded "
        "(line 13)",
        "warning rules.gifts[3]: gives no gift: write add or tiers (line 14)",
        "warning rules.holds[0]: never holds: amount_above needs a limit (line 16)",
        "warning rules.allocation[1]: never used: rules.allocation[0] (all) has no condition and "
        "decides first (line 19)",
    ]


def test_expired_and_inverted_windows() -> None:
    assert lint(
        """
        gifts:
          - id: march
            when: {window: {from: 2026-03-01, until: 2026-03-31}}
            add: [G2026-01]
          - id: upside-down
            when: {window: {from: "2026-06-01", until: "2026-05-01"}}
            add: [G2026-01]
          - id: bad-date
            when: {window: {from: "2026-02-30"}}
            add: [G2026-01]
        """
    ) == [
        "warning rules.gifts[0].when.window.until: expired: the window ended 2026-03-31 23:59; "
        "the rule no longer applies (line 12)",
        "warning rules.gifts[1].when.window: can never match: the window ends before it starts "
        "(line 15)",
        "error rules.gifts[2].when.window.from: not a date or time: '2026-02-30' (write "
        "2026-03-01 10:00) (line 18)",
    ]


def test_unknown_skus_warehouses_and_couriers() -> None:
    assert lint(
        """
        gifts:
          - {id: g, when: {sku: {any: [山茶花润肤霜X]}}, add: [{pool: [G2026-01, G2026-02]}]}
        allocation:
          - {id: a, warehouses: [HZ, GZ], thresholds: [{warehouse: HZX, min_stock: 5}]}
        courier:
          - {id: c, couriers: [zto, ztoo]}
        """
    ) == [
        "warning rules.gifts[0].when.sku.any[0]: unknown sku '山茶花润肤霜X': not declared in skus "
        "(did you mean '山茶花润肤霜'?) (line 11)",
        "warning rules.gifts[0].add[0].pool[1]: unknown sku 'G2026-02': not declared in skus "
        "(did you mean 'G2026-01'?) (line 11)",
        "warning rules.allocation[0].warehouses[1]: unknown warehouse 'GZ': not declared in "
        "warehouses (line 13)",
        "warning rules.allocation[0].thresholds[0].warehouse: unknown warehouse 'HZX': not "
        "declared in warehouses (did you mean 'HZ'?) (line 13)",
        "warning rules.courier[0].couriers[1]: unknown courier 'ztoo': not declared in couriers "
        "(did you mean 'zto'?) (line 15)",
    ]


def test_lint_is_defensive_about_malformed_documents() -> None:
    assert lint_rules(None, None) == []
    assert lint_rules({"rules": {"gifts": [7, {"when": 5}], "holds": "x"}}, None, now=NOW) == [
        ConfigProblem("rules.gifts[1]", "gives no gift: write add or tiers", None, "warning")
    ]


# -- schema errors: path and line, in ops' words ---------------------------------------------


def test_a_bad_rule_gets_schema_errors_with_paths_and_lines() -> None:
    assert schema_errors(
        """
        gifts:
          - id: spring 299
            when: {paid: {gte: "299元"}, skus: [山茶花润肤霜]}
            add: []
            tier_mode: top
        holds:
          - {id: h, check: refund, severity: stop}
        allocation:
          - {id: a, warehouses: [HZ], split: sometimes}
        courier:
          - {id: c, when: {region: {province: 浙江}}}
        """
    ) == [
        "rules.gifts[0].id: must be letters, digits, '-' or '_' (no spaces or '/'), got "
        "'spring 299' (line 11)",
        "rules.gifts[0].when.paid.gte: must be a number, got '299元' (line 12)",
        "rules.gifts[0].when.skus: unknown key 'skus' (did you mean 'sku'?) (line 12)",
        # jsonschema's own words: validate._message has no case for minItems yet.
        "rules.gifts[0].add: [] should be non-empty (line 13)",
        "rules.gifts[0].tier_mode: must be one of 'highest', 'cumulative', got 'top' (line 14)",
        "rules.holds[0].check: must be one of 'address_changed', 'refund_in_progress', "
        "'buyer_message', 'seller_memo', 'amount_above', 'blacklisted', 'unknown_sku', "
        "'address_doubtful', 'remote_area', 'out_of_stock', 'duplicate', 'condition', got "
        "'refund' (line 16)",
        "rules.holds[0].severity: must be one of 'block', 'warn', got 'stop' (line 16)",
        "rules.allocation[0].split: must be one of 'never', 'by_warehouse', 'fewest_packages', "
        "got 'sometimes' (line 18)",
        # A courier rule must do something: choose, allow or deny (the first is named).
        "rules.courier[0].courier: required (line 20)",
    ]


def test_the_field_example_and_a_full_rule_set_are_valid() -> None:
    assert (
        schema_errors(
            """
        holds:
          - {id: addr, check: address_changed, release_after: 2h}
          - {id: big, check: amount_above, limit: 5000, severity: warn, when: {shop: [s1]}}
        gifts:
          - id: spring-299
            when: {paid: {gte: 299}, sku: {any: [山茶花润肤霜]}}
            add: [G2026-01]
          - id: tiers
            tier_mode: cumulative
            tiers:
              - {when: {paid: {gte: 199}}, add: [{sku: G2026-01, qty: 2, title: 小样}]}
            limit: {total: 500, per_day: 100}
            multiply: {every: 2, of: [山茶花润肤霜], max: 3}
            exclusive: true
            priority: 10
            when:
              any: [{channel: taobao}, {not: {tags: {any: [刷单]}}}]
              window: {clock: created, from: 2026-03-01, until: "2026-03-31 23:59"}
              buyer: {first_purchase: true}
              seller_flag: [red, yellow]
              order_type: presale
              region: {province: [华东], city: [杭州], remote_area: false}
              buyer_message: {contains: [加急]}
              seller_memo: {present: false}
              goods_total: {between: [100, 500]}
              weight_kg: {lte: 3}
              category: {none: [家居]}
              bulky: false
        allocation:
          - id: a
            warehouses: [HZ]
            split: fewest_packages
            thresholds: [{sku: 山茶花润肤霜, warehouse: HZ, min_stock: 500}]
        courier:
          - {id: c, when: {warehouse: HZ, weight_kg: {lte: 3}}, couriers: [zto]}
          - {id: d, deny: [zto]}
        """
        )
        == []
    )
