"""Status-mapping tables: loading and its refusals, completeness, overrides,
mapping raw fields (UNMAPPED, before_shipping), and the core map_status plugin."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pluggy
import pytest
from jsonschema import Draft202012Validator
from structlog.testing import capture_logs

import orderkit.hookspecs
from orderkit import hookimpl
from orderkit._resources import data_path, load_schema
from orderkit.errors import MappingError
from orderkit.models import StatusAxes
from orderkit.models.status import Lifecycle, PresaleState, RefundState
from orderkit.status import (
    UNMAPPED_STATUS_HOLD,
    Axis,
    StatusResult,
    StatusTable,
    StatusTableMapper,
    apply_overrides,
    check_completeness,
    load_status_table,
    map_raw,
    parse_status_table,
)

DATA = Path(__file__).parent / "data" / "status"
L = Lifecycle

# What channels.md §1.6/1.7 documents (NO_REFUND is not documented).
TAOBAO_DOCUMENTED = {
    "status": [
        "TRADE_NO_CREATE_PAY", "WAIT_BUYER_PAY", "SELLER_CONSIGNED_PART",
        "WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED",
        "TRADE_FINISHED", "TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO", "PAY_PENDING",
        "WAIT_PRE_AUTH_CONFIRM", "PAID_FORBID_CONSIGN",
    ],
    "refund_status": [
        "WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS",
        "SELLER_REFUSE_BUYER", "CLOSED", "SUCCESS",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def taobao() -> StatusTable:
    return load_status_table(DATA / "taobao.json")


@pytest.fixture(scope="module")
def douyin() -> StatusTable:
    return load_status_table(DATA / "douyin.yaml")


def axes(lifecycle: Lifecycle, refund: str = "none", presale: str = "none") -> StatusAxes:
    return StatusAxes(
        lifecycle=lifecycle, refund=RefundState(refund), presale=PresaleState(presale)
    )


def minimal(codes: Mapping[str, Any], axis: str = "lifecycle", **field: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": {"axis": "lifecycle", "codes": {"PAID": "paid"}}}
    if axis == "lifecycle":
        fields["status"] = {"axis": "lifecycle", "codes": dict(codes), **field}
    else:
        fields["extra"] = {"axis": axis, "codes": dict(codes), **field}
    return {"channel": "t", "version": "1", "fields": fields}


# -- loading --------------------------------------------------------------------


def test_sample_tables_load(taobao: StatusTable, douyin: StatusTable) -> None:
    assert taobao.label == "taobao@2026-11"
    assert list(taobao.fields) == ["status", "refund_status"]
    assert taobao.fields["refund_status"].optional
    assert taobao.fields["status"].codes["TRADE_CLOSED"].before_shipping == L.CANCELLED
    assert taobao.fields["refund_status"].codes["SUCCESS"].to == RefundState.REFUNDED  # shorthand
    # YAML keys stay verbatim text: Douyin's numeric codes are strings.
    assert list(douyin.fields["order_status"].codes)[:3] == ["1", "105", "2"]
    assert [f.name for f in douyin.fields_for(Axis.LIFECYCLE)] == ["main_status", "order_status"]


def test_duplicate_code_in_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text(
        '{"channel": "t", "version": "1", "fields": {"status": {"axis": "lifecycle",'
        ' "codes": {"PAID": "paid", "WAIT": "pending_payment", "PAID": "shipped"}}}}',
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as exc:
        load_status_table(path)
    assert exc.value.field == "fields.status.codes.PAID"
    assert "'PAID' appears more than once" in str(exc.value)
    assert str(path) in str(exc.value)


def test_duplicate_code_in_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "channel: t\nversion: '1'\nfields:\n  status:\n    axis: lifecycle\n    codes:\n"
        "      105: paid\n      2: paid\n      '105': shipped\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as exc:
        load_status_table(path)
    assert exc.value.field == "fields.status.codes.105"
    assert f"{path}, line 9" in str(exc.value)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (minimal({"X": "refunded"}), "fields.status.codes.X", "not a lifecycle value"),
        (
            minimal({"X": {"to": "paid"}}, axis="refund"),
            "fields.extra.codes.X.to",
            "'paid' is a lifecycle value",
        ),
        (minimal({"X": "on_hold"}), "fields.status.codes.X", "internal state"),
        (minimal({"X": {"to": "packed"}}), "fields.status.codes.X.to", "internal state"),
        (
            minimal({"X": {"to": "closed", "before_shipping": "paid"}}),
            "fields.status.codes.X.before_shipping",
            "must be 'cancelled'",
        ),
        (
            minimal({"X": {"to": "shipped", "before_shipping": "cancelled"}}),
            "fields.status.codes.X.before_shipping",
            "whose 'to' is 'closed'",
        ),
        (
            minimal({"X": {"to": "none", "before_shipping": "cancelled"}}, axis="refund"),
            "fields.extra.codes.X.before_shipping",
            "only on the lifecycle axis",
        ),
        (minimal({"X": {"to": "paid", "too": 1}}), "fields.status.codes.X", "unknown key(s) too"),
        (minimal({"X": 3}), "fields.status.codes.X", "a row is a value name"),
        (minimal({"X": {"note": "?"}}), "fields.status.codes.X", "a row needs 'to'"),
        (
            {
                "channel": "t",
                "version": "1",
                "fields": {"r": {"axis": "refund", "codes": {"A": "none"}}},
            },
            "fields",
            "no field feeds the lifecycle axis",
        ),
        (
            {"version": "1", "fields": {"s": {"axis": "lifecycle", "codes": {"A": "paid"}}}},
            "<root>",
            "'channel' is a required property",
        ),
        (
            {
                "channel": "t",
                "version": "1",
                "fields": {"s": {"axis": "status", "codes": {"A": "paid"}}},
            },
            "fields.s.axis",
            "is not one of",
        ),
    ],
)
def test_bad_rows_are_refused_naming_field_and_code(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(MappingError) as exc:
        parse_status_table(data, origin="sample.json")
    assert exc.value.field == field
    assert message in str(exc.value)
    assert "(in sample.json)" in str(exc.value)
    assert "more problem" not in str(exc.value)  # the schema does not repeat the row check


def test_every_problem_is_listed() -> None:
    data = minimal({"A": "on_hold", "B": "nope", "C": "paid"})
    with pytest.raises(MappingError) as exc:
        parse_status_table(data)
    assert "1 more problem(s)" in str(exc.value)
    assert "fields.status.codes.B: 'nope' is not a lifecycle value" in str(exc.value)


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        (minimal({"A": "paid", "B": {"to": "closed", "before_shipping": "cancelled"}}), True),
        (minimal({"A": "on_hold"}), False),
        (minimal({"A": {"to": "shipped", "before_shipping": "cancelled"}}), False),
        (minimal({"A": "paid"}, axis="refund"), False),
        (minimal({"A": "deposit_paid"}, axis="presale"), True),
    ],
)
def test_the_schema_alone_refuses_bad_rows(data: dict[str, Any], valid: bool) -> None:
    # Non-Python ERPs validate tables with the schema only.
    validator = Draft202012Validator(load_schema("status_table.schema.json"))
    assert validator.is_valid(data) is valid


def test_packaged_tables_load() -> None:
    assert load_status_table(data_path("status", "own.json")).channel == "own"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("t.json", "{", "invalid JSON"),
        ("t.yaml", "fields: [", "invalid YAML"),
        ("t.toml", "x = 1", "unsupported file type"),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_status_table(path)


# -- completeness ---------------------------------------------------------------


def test_completeness_against_the_documented_codes(taobao: StatusTable) -> None:
    report = check_completeness(taobao, TAOBAO_DOCUMENTED)
    assert report.is_complete, str(report)
    assert report.extra == {"refund_status": ("NO_REFUND",)}
    assert report.missing == {}


def test_completeness_reports_missing_codes_and_fields(taobao: StatusTable) -> None:
    documented = {
        "status": [*TAOBAO_DOCUMENTED["status"], "TRADE_NEW_STATE"],
        "refund_status": TAOBAO_DOCUMENTED["refund_status"],
        "step_trade_status": ["FRONT_PAID_FINAL_NOPAID"],
    }
    report = check_completeness(taobao, documented)
    assert not report.is_complete
    assert report.missing == {"status": ("TRADE_NEW_STATE",)}
    assert report.missing_fields == ("step_trade_status",)
    assert "missing TRADE_NEW_STATE" in str(report)


# -- mapping --------------------------------------------------------------------


def test_map_a_new_order(taobao: StatusTable) -> None:
    result = map_raw(taobao, {"status": "WAIT_SELLER_SEND_GOODS"}, None)
    assert result.axes == axes(L.PAID)
    assert result.matched == {"status": "WAIT_SELLER_SEND_GOODS"}
    assert result.source == "table:taobao@2026-11"
    assert not result.is_unmapped and result.hold_reason() is None


def test_an_absent_axis_keeps_the_current_value(taobao: StatusTable) -> None:
    current = axes(L.PAID, refund="requested", presale="deposit_paid")
    result = map_raw(taobao, {"status": "WAIT_BUYER_CONFIRM_GOODS", "refund_status": ""}, current)
    assert result.axes == axes(L.SHIPPED, refund="requested", presale="deposit_paid")
    result = map_raw(taobao, {"status": "TRADE_FINISHED", "refund_status": "SUCCESS"}, current)
    assert result.axes == axes(L.COMPLETED, refund="refunded", presale="deposit_paid")


def test_unknown_lifecycle_code_is_unmapped_with_a_warning(taobao: StatusTable) -> None:
    with capture_logs() as logs:
        result = map_raw(taobao, {"status": "TRADE_SOMETHING_NEW"}, axes(L.PAID))
    assert result.axes is None
    assert result.is_unmapped
    assert result.unmapped == {"status": "TRADE_SOMETHING_NEW"}
    assert {
        "event": "status.unmapped",
        "log_level": "warning",
        "channel": "taobao",
        "field": "status",
        "code": "TRADE_SOMETHING_NEW",
    }.items() <= logs[0].items()
    reason = result.hold_reason()
    assert reason is not None and reason.code == UNMAPPED_STATUS_HOLD == "unmapped_status"
    assert "TRADE_SOMETHING_NEW" in reason.detail


def test_unknown_code_in_an_optional_field_is_unmapped_too(taobao: StatusTable) -> None:
    with capture_logs() as logs:
        result = map_raw(taobao, {"status": "WAIT_SELLER_SEND_GOODS", "refund_status": "HUH"}, None)
    assert result.is_unmapped and result.unmapped == {"refund_status": "HUH"}
    # The lifecycle is known, so axes are kept; the unknown axis stays at its default.
    assert result.axes == axes(L.PAID)
    assert [entry["field"] for entry in logs] == ["refund_status"]


def test_first_present_field_wins_but_every_field_is_checked(douyin: StatusTable) -> None:
    result = map_raw(douyin, {"main_status": "21", "order_status": "4"}, axes(L.PAID))
    assert result.axes is not None and result.axes.lifecycle == L.CANCELLED
    assert result.matched == {"main_status": "21"}
    result = map_raw(douyin, {"order_status": "3"}, None)  # main_status is optional
    assert result.axes is not None and result.axes.lifecycle == L.IN_TRANSIT
    with capture_logs():
        result = map_raw(douyin, {"main_status": "2", "order_status": "77"}, None)
    assert result.is_unmapped and result.unmapped == {"order_status": "77"}
    assert result.axes is not None and result.axes.lifecycle == L.PAID


def test_int_codes_are_read_as_text(douyin: StatusTable) -> None:
    raw: dict[str, Any] = {"order_status": 105, "presale_status": "deposit"}
    result = map_raw(douyin, raw, None)
    assert result.axes == axes(L.PAID, presale="deposit_paid")


def test_malformed_payloads_raise(douyin: StatusTable) -> None:
    with pytest.raises(MappingError, match="lacks required field") as exc:
        map_raw(douyin, {"main_status": "2"}, None)
    assert exc.value.field == "order_status"
    table = parse_status_table(minimal({"PAID": "paid"}, optional=True))
    assert map_raw(table, {}, axes(L.SHIPPED)).axes == axes(L.SHIPPED)
    with pytest.raises(MappingError, match="a new order needs a lifecycle status"):
        map_raw(table, {}, None)


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, L.CANCELLED),
        (L.PAID, L.CANCELLED),
        (L.PACKED, L.CANCELLED),
        (L.PARTIALLY_SHIPPED, L.CANCELLED),
        (L.CANCELLED, L.CANCELLED),
        (L.SHIPPED, L.CLOSED),
        (L.DELIVERED, L.CLOSED),
        (L.CLOSED, L.CLOSED),
    ],
)
def test_before_shipping_resolves_against_current(
    taobao: StatusTable, current: Lifecycle | None, expected: Lifecycle
) -> None:
    result = map_raw(
        taobao, {"status": "TRADE_CLOSED"}, axes(current) if current is not None else None
    )
    assert result.axes is not None and result.axes.lifecycle == expected


def test_unmapped_for_is_the_explicit_outcome() -> None:
    result = StatusResult.unmapped_for("jd", {"state": "WAIT"})
    assert result.is_unmapped and result.axes is None
    assert result.source == "unmapped:jd"
    assert StatusResult.unmapped_for("jd", {}).is_unmapped


# -- overrides ------------------------------------------------------------------


def test_overrides_remap_and_add_codes(taobao: StatusTable) -> None:
    overridden = apply_overrides(
        taobao,
        {
            "status": {
                "PAID_FORBID_CONSIGN": {"to": "pending_payment", "note": "ops: wait"},
                "TRADE_NEW_STATE": "paid",
            },
            "refund_status": {"CLOSED": "rejected"},
        },
    )
    assert overridden.overridden and not taobao.overridden
    assert "TRADE_NEW_STATE" not in taobao.fields["status"].codes  # the original is untouched
    result = map_raw(overridden, {"status": "TRADE_NEW_STATE"}, None)
    assert result.axes == axes(L.PAID) and result.source == "override:taobao@2026-11"
    result = map_raw(overridden, {"status": "PAID_FORBID_CONSIGN", "refund_status": "CLOSED"}, None)
    assert result.axes == axes(L.PENDING_PAYMENT, refund="rejected")
    # A row the overrides did not touch still reports the table as its source.
    result = map_raw(overridden, {"status": "WAIT_BUYER_PAY"}, None)
    assert result.source == "table:taobao@2026-11"


def test_overrides_accept_yaml_int_codes(douyin: StatusTable) -> None:
    overridden = apply_overrides(douyin, {"order_status": {106: "paid"}})
    assert "106" in overridden.fields["order_status"].codes


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"step_status": {"A": "paid"}}, "status_overrides.taobao.step_status", "has no field"),
        ({"status": {"A": "approved"}}, "status_overrides.taobao.status.A", "internal state"),
        (
            {"refund_status": {"A": "shipped"}},
            "status_overrides.taobao.refund_status.A",
            "not a refund value",
        ),
        (
            {"status": {"A": {"to": "paid", "before_shipping": "cancelled"}}},
            "status_overrides.taobao.status.A.before_shipping",
            "'closed'",
        ),
        ({"status": {}}, "status_overrides.taobao.status", "code -> row"),
    ],
)
def test_bad_overrides_are_refused(
    taobao: StatusTable, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(MappingError) as exc:
        apply_overrides(taobao, overrides)
    assert exc.value.field == field
    assert message in str(exc.value)


# -- the core map_status plugin -------------------------------------------------


def plugin_manager(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("orderkit")
    pm.add_hookspecs(orderkit.hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def test_hook_map_status(taobao: StatusTable) -> None:
    mapper = StatusTableMapper(tables={"taobao": taobao}.get)
    pm = plugin_manager(mapper)
    result = pm.hook.map_status(
        channel="taobao", raw={"status": "WAIT_BUYER_CONFIRM_GOODS"}, current=None
    )
    assert isinstance(result, StatusResult) and result.axes == axes(L.SHIPPED)
    assert pm.hook.map_status(channel="pdd", raw={"order_status": "1"}, current=None) is None


def test_a_channel_plugin_runs_first_and_falls_back_to_the_table(taobao: StatusTable) -> None:
    class Quirks:
        @hookimpl
        def map_status(self, channel: str, raw: Mapping[str, str]) -> StatusResult | None:
            if channel == "taobao" and raw.get("status") == "TRADE_ODD":
                return StatusResult(axes(L.PAID), matched={"status": "TRADE_ODD"}, source="quirks")
            return None

    pm = plugin_manager(Quirks(), StatusTableMapper(tables={"taobao": taobao}.get))
    odd = pm.hook.map_status(channel="taobao", raw={"status": "TRADE_ODD"}, current=None)
    assert odd.source == "quirks"
    plain = pm.hook.map_status(channel="taobao", raw={"status": "WAIT_BUYER_PAY"}, current=None)
    assert plain.source == "table:taobao@2026-11"


def test_mapper_applies_overrides_and_sees_later_config(taobao: StatusTable) -> None:
    overrides: dict[str, Any] = {}
    mapper = StatusTableMapper(tables={"taobao": taobao}.get, overrides=overrides)
    pm = plugin_manager(mapper)
    raw = {"status": "TRADE_NEW_STATE"}
    with capture_logs():
        assert pm.hook.map_status(channel="taobao", raw=raw, current=None).is_unmapped
    overrides["taobao"] = {"status": {"TRADE_NEW_STATE": "paid"}}  # config loaded later
    result = pm.hook.map_status(channel="taobao", raw=raw, current=None)
    assert result.axes == axes(L.PAID) and result.source == "override:taobao@2026-11"
    assert mapper.table_for("taobao") is mapper.table_for("taobao")  # cached


def test_check_overrides_fails_early(taobao: StatusTable) -> None:
    bad = StatusTableMapper({"taobao": taobao}.get, {"taobao": {"status": {"X": "packed"}}})
    with pytest.raises(MappingError, match="internal state"):
        bad.check_overrides()
    orphan = StatusTableMapper({"taobao": taobao}.get, {"jd": {"state": {"X": "paid"}}})
    with pytest.raises(MappingError, match="no status table") as exc:
        orphan.check_overrides()
    assert exc.value.field == "status_overrides.jd"
