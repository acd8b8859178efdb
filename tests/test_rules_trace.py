"""The whole pipeline: decide, the rule-set version, traces, explain, the plugin."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from orderkit._markers import hookimpl
from orderkit.config import load_config_text
from orderkit.decisions import Allocation, DecisionContext
from orderkit.host import create_host
from orderkit.models import DecisionTrace, Order
from orderkit.models.order import HoldReason, HoldSeverity, Line, Shipment, ShipmentLine
from orderkit.rules import RULES_PLUGIN, CoreRulesPlugin, RuleSet, build, explain_text
from tests.test_rules_support import BASE_CONFIG, line, order, plenty, rule_set

PIPELINE = """
holds:
  - {id: msg, check: buyer_message, severity: warn}
  - {id: oos, check: out_of_stock}
gifts:
  - id: spring-299
    when: {paid: {gte: 299}, sku: {any: [山茶花润肤霜]}}
    add: [G2026-01]
allocation:
  - {id: east, when: {region: {province: [华东]}}, warehouses: [HZ, YW]}
courier:
  - {id: jzh, when: {region: {province: [江浙沪]}}, courier: zto}
"""


def test_decide_runs_every_stage_and_merges_the_result() -> None:
    decisions = rule_set(PIPELINE).decide(
        order(buyer={"message": "谢谢"}), plenty("山茶花润肤霜", "G2026-01")
    )
    assert [t.stage for t in decisions.traces] == ["holds", "gifts", "allocation", "courier"]
    assert not decisions.blocked
    final = decisions.order
    assert [ln.line_id for ln in final.lines] == ["1", "gift:spring-299:G2026-01"]
    [shipment] = final.shipments
    assert (shipment.warehouse, shipment.courier) == ("HZ", "zto")
    assert {sl.line_id for sl in shipment.lines} == {"1", "gift:spring-299:G2026-01"}
    Order.model_validate(final.model_dump())  # still a valid canonical order
    assert decisions.summary() == {
        "blocked": False,
        "holds": ["buyer_message:warn"],
        "gifts": {"gift:spring-299:G2026-01": 1},
        "shipments": [
            {"warehouse": "HZ", "courier": "zto", "lines": {"1": 1, "gift:spring-299:G2026-01": 1}}
        ],
        "transfer_alert": None,
    }


def test_decide_twice_is_the_same_decision() -> None:
    rules = rule_set(PIPELINE)
    context = plenty("山茶花润肤霜", "G2026-01")
    first = rules.decide(order(), context)
    second = rules.decide(first.order, context)
    assert second.summary() == first.summary()
    assert second.gifts is not None and second.gifts.trace.outcome["added"] == []
    assert len(second.order.lines) == 2


def test_stop_on_block_skips_the_later_stages() -> None:
    decisions = rule_set(PIPELINE).decide(order(), DecisionContext(), stop_on_block=True)
    assert decisions.blocked and decisions.gifts is None and decisions.courier is None
    assert [t.stage for t in decisions.traces] == ["holds"]


def test_the_version_is_stable_and_follows_what_rules_read() -> None:
    text = BASE_CONFIG + "rules:\n" + "\n".join("  " + ln for ln in PIPELINE.strip().splitlines())
    version = RuleSet.from_config(load_config_text(text)).version
    assert version == RuleSet.from_config(load_config_text(text)).version
    assert len(version) == 12
    heavier = text.replace("山茶花润肤霜: {weight_g: 120", "山茶花润肤霜: {weight_g: 130")
    assert RuleSet.from_config(load_config_text(heavier)).version != version
    renamed = text.replace("name: 杭州仓", "name: 杭州一号仓")
    assert RuleSet.from_config(load_config_text(renamed)).version == version
    decisions = RuleSet.from_config(load_config_text(text)).decide(order(), plenty())
    assert {t.rule_set_version for t in decisions.traces} == {version}


def test_traces_survive_json_and_explain_from_the_stored_form() -> None:
    decisions = rule_set(PIPELINE).decide(order(), plenty("山茶花润肤霜", "G2026-01"))
    for trace in decisions.traces:
        stored = json.loads(json.dumps(trace.model_dump(mode="json"), ensure_ascii=False))
        assert explain_text(stored) == explain_text(trace)
        DecisionTrace.model_validate(stored)


def test_explain_reads_like_a_reply_to_ops() -> None:
    context = DecisionContext(stock={("山茶花润肤霜", "YW"): 3, ("G2026-01", "YW"): 3})
    decisions = rule_set(PIPELINE).decide(order(paid=199), context)
    text = [ln for trace in decisions.traces for ln in explain_text(trace)]
    assert text == [
        "order passed every hold check",
        "passed: msg, oos",
        "no gift from rule spring-299: paid 199.00 < 299.00",
        "allocation rule east applies: province 浙江 in 华东",
        "warehouses tried in order HZ, YW (rule east, split never)",
        "HZ lacks 山茶花润肤霜: 0 of 1",
        "ship from YW: 1 ×1",
        "courier zto for ship:YW by rule jzh: province 浙江 in 江浙沪",
    ]


def test_each_family_can_be_called_alone_with_shared_facts() -> None:
    rules = rule_set(PIPELINE)
    o, context = order(), plenty("山茶花润肤霜", "G2026-01")
    facts = rules.facts(o, context)
    assert rules.review(o, context, facts).reasons == []
    assert len(rules.gifts(o, context, facts).lines) == 1
    allocation = rules.allocate(o, context, facts)
    assert [s.courier for s in rules.choose_couriers(o, allocation, context, facts).shipments] == [
        "zto"
    ]
    assert rules.stock_skus(o) == {"山茶花润肤霜", "G2026-01"}


# -- the plugin -------------------------------------------------------------------------


class _OwnAllocator:
    @hookimpl
    def allocate_warehouse(self, order: Order, context: DecisionContext) -> Allocation | None:
        if order.shop_id != "special":
            return None
        return Allocation(
            shipments=[], trace=DecisionTrace(stage="allocation"), transfer_alert="mine"
        )


def test_core_plugin_answers_the_hooks_last() -> None:
    plugin = CoreRulesPlugin()
    host = create_host(
        builtins=[(RULES_PLUGIN, plugin)], plugins=[_OwnAllocator()], entrypoints=False
    )
    hook = host.pm.hook
    context = plenty("山茶花润肤霜", "G2026-01")
    assert hook.allocate_warehouse(order=order(), context=context) is None  # no rules yet
    plugin.use(rule_set(PIPELINE))
    allocation = hook.allocate_warehouse(order=order(), context=context)
    assert [s.warehouse for s in allocation.shipments] == ["HZ"]
    special = hook.allocate_warehouse(order=order(shop_id="special"), context=context)
    assert special.transfer_alert == "mine"  # a plugin's own allocator runs first
    [decision] = hook.apply_gifts(order=order(paid=100), context=context)
    assert decision.lines == [] and decision.trace.steps  # "why no gift?" still answered


def test_a_line_without_sku_can_still_be_decided() -> None:
    o = order(line("1", None), line("2", "山茶花润肤霜"))
    decisions = rule_set(PIPELINE).decide(o, plenty("山茶花润肤霜", "G2026-01"))
    assert decisions.order.shipments[0].lines[0].line_id == "1"


# -- the output models, built without re-validation (rules/build.py) -----------------------


def _same_model(built: BaseModel, validated: BaseModel) -> None:
    assert type(built) is type(validated)
    assert built == validated
    assert list(built.__dict__) == list(validated.__dict__)  # every field, in order
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump(mode="json", exclude_unset=True) == validated.model_dump(
        mode="json", exclude_unset=True
    )


def test_built_models_equal_what_validation_gives() -> None:
    _same_model(
        build.gift_line("gift:r:G1", "G1", 2, "1", "小样"),
        Line(
            line_id="gift:r:G1",
            sku="G1",
            title="小样",
            quantity=2,
            unit_price=0,
            paid=0,
            is_gift=True,
            parent_line_id="1",
        ),
    )
    _same_model(
        build.shipment("ship:HZ", "HZ", {"1": 1, "2": 3}, "why", "zto"),
        Shipment(
            shipment_id="ship:HZ",
            warehouse="HZ",
            lines=[ShipmentLine(line_id="1", quantity=1), ShipmentLine(line_id="2", quantity=3)],
            courier="zto",
            reason="why",
        ),
    )
    _same_model(
        build.hold_reason("duplicate", "twice", HoldSeverity.WARN, "dup"),
        HoldReason(code="duplicate", detail="twice", severity=HoldSeverity.WARN, rule_id="dup"),
    )
    steps = [{"rule": "a", "checks": [{"if": "paid", "ok": True}]}]
    _same_model(
        build.trace("gifts", "v1", {"lines": {}}, steps, 3),
        DecisionTrace(
            stage="gifts",
            rule_set_version="v1",
            outcome={"lines": {}},
            steps=steps,
            not_triggered=3,
        ),
    )


def test_a_built_model_still_takes_assignments_like_a_validated_one() -> None:
    line_ = build.gift_line("gift:r:G1", "G1", 1, "1", "")
    line_.title = "renamed"  # pydantic records it in the fields set
    assert "title" in line_.model_fields_set and line_.title == "renamed"
    other = build.gift_line("gift:r:G2", "G2", 1, "1", "")
    assert "platform_status" not in other.model_fields_set  # sets are not shared


def test_the_builder_refuses_a_model_whose_fields_it_does_not_name() -> None:
    with pytest.raises(TypeError, match="ShipmentLine has fields"):
        build._assembler(ShipmentLine, ("line_id",), ("line_id",))


def test_a_parcel_of_everything_weighs_what_the_order_weighs() -> None:
    rules = rule_set(PIPELINE)
    o = order(line("1", "面膜", 2), line("2", "山茶花润肤霜"), line("3", "未知"))
    facts = rules.facts(o, plenty())
    whole = facts.for_shipment([("面膜", 2), ("山茶花润肤霜", 1), ("未知", 1)], "HZ", rules.catalog)
    reordered = facts.for_shipment(
        [("山茶花润肤霜", 1), ("面膜", 2), ("未知", 1)], "HZ", rules.catalog
    )
    part = facts.for_shipment([("面膜", 1)], "HZ", rules.catalog)
    assert (whole.weight_g, whole.weight_unknown) == (280.0, ("未知",))
    assert (reordered.weight_g, reordered.weight_unknown) == (280.0, ("未知",))
    assert (part.weight_g, part.weight_unknown, part.items) == (80.0, (), 1)
    assert (whole.warehouse, whole.skus) == ("HZ", {"面膜": 2, "山茶花润肤霜": 1, "未知": 1})
    assert facts.warehouse is None and facts.skus == {"面膜": 2, "山茶花润肤霜": 1, "未知": 1}
