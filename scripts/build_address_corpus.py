"""Generate ``tests/data/address_corpus.jsonl``: labelled messy addresses.

    python scripts/build_address_corpus.py

Every label comes from the generator's own ground truth (the unit it picked
from the division table, or the legacy table's current unit) and never from
the parser. The seed is fixed, so the file is reproducible byte for byte.

Categories follow the reference survey (couriers_address.md, B3): standard,
abbreviated, no_province, district_only, trailing_text, name_phone,
full_width, duplicated_city, direct_county, municipality, legacy, ambiguous.
Each line: ``text``, ``category``, the expected ``province`` / ``city`` /
``district`` names and codes, plus ``remark`` / ``phone`` / ``name`` where
the generator put one in, and for ambiguous lines ``unsure: true`` and the
``candidates`` the text could mean.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "orderkit" / "address" / "data"
OUT = REPO / "tests" / "data" / "address_corpus.jsonl"
SEED = 20260601

ROADS = [
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "文化路",
    "和平路",
    "胜利路",
    "新华路",
    "青年路",
    "光明路",
    "朝阳路",
    "幸福路",
    "长江路",
    "黄河路",
    "学府路",
    "工业大道",
    "滨江大道",
    "东风路",
    "北京路",
    "南京路",
    "延安路",
    "友谊路",
    "迎宾大道",
    "健康路",
    "振兴街",
    "花园街",
    "团结巷",
    "前进街",
    "育才路",
    "科技路",
    "创业大道",
    "金桥路",
    "五一路",
]
ESTATES = [
    "阳光花园",
    "锦绣家园",
    "幸福小区",
    "金色港湾",
    "翠湖苑",
    "碧桂园",
    "万科城",
    "城市花园",
    "世纪华庭",
    "东方明珠苑",
    "绿地中心",
    "华府",
    "龙湖天街",
    "丽景湾",
    "书香门第",
    "滨江公寓",
]
BUILDINGS = [
    "",
    "",
    "{b}栋{u}单元{r}室",
    "{b}幢{r}",
    "{b}号楼{r}",
    "{b}-{u}-{r}",
    "A座{r}",
    "B区{b}栋{r}",
]
REMARKS = [
    "放门卫",
    "小区东门保安室",
    "送货前电话联系",
    "放丰巢柜",
    "放门口",
    "工作日送货",
    "放菜鸟驿站",
    "到了打电话",
    "请放前台",
    "周末不送",
    "放快递柜",
    "麻烦放门卫室谢谢",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰玉萍红华建国志文斌浩宇欣怡子涵梓轩思雨"
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}


@dataclass(frozen=True)
class Unit:
    code: str
    parent: str
    kind: str
    name: str
    shorts: tuple[str, ...]


def load() -> tuple[dict[str, Unit], dict[str, list[str]], list[dict[str, str]]]:
    units: dict[str, Unit] = {}
    for line in (DATA / "divisions.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("code\t"):
            continue
        code, parent, kind, name, short = line.split("\t")
        units[code] = Unit(code, parent, kind, name, tuple(s for s in short.split("|") if s))
    towns: dict[str, list[str]] = {}
    for line in (DATA / "townships.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        parent, *items = line.split("\t")
        towns[parent] = [item.split(":", 1)[1] for item in items]
    legacy: list[dict[str, str]] = []
    lines = [ln for ln in (DATA / "legacy_names.tsv").read_text(encoding="utf-8").splitlines()]
    rows = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    head = rows[0]
    legacy = [dict(zip(head, row, strict=True)) for row in rows[1:]]
    return units, towns, legacy


class Corpus:
    def __init__(self) -> None:
        self.units, self.towns, self.legacy = load()
        self.rng = random.Random(SEED)
        self.lines: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        by_name: dict[str, list[Unit]] = defaultdict(list)
        for unit in self.units.values():
            by_name[unit.name].append(unit)
            for short in unit.shorts:
                by_name[short].append(unit)
        self.by_name = by_name
        counties = [
            u
            for u in self.units.values()
            if u.kind in ("county", "direct_county", "municipal_district")
        ]
        self.counties = [u for u in counties if u.kind == "county"]
        self.direct = [u for u in counties if u.kind == "direct_county"]
        self.municipal = [u for u in counties if u.kind == "municipal_district"]
        # Full names that stand for one unit only and are nobody's short name.
        # A legacy name (重庆's 江北区, merged in 2025) keeps 宁波's 江北区 from being unique.
        old_names = {row["old_name"] for row in self.legacy}
        self.unique_counties = [
            u for u in counties if len(by_name[u.name]) == 1 and u.name not in old_names
        ]
        self.shared = defaultdict(list)
        for u in counties:
            self.shared[u.name].append(u)
        self.no_district = [
            u
            for u in self.units.values()
            if u.kind == "prefecture" and not any(c.parent == u.code for c in counties)
        ]

    # -- ground truth -------------------------------------------------------
    def truth(self, county: Unit | None, prefecture: Unit | None = None) -> dict[str, Any]:
        unit = county or prefecture
        assert unit is not None
        chain = []
        cur: Unit | None = unit
        while cur is not None:
            chain.append(cur)
            cur = self.units.get(cur.parent)
        province = chain[-1]
        pref = next((u for u in chain if u.kind == "prefecture"), None)
        label: dict[str, Any] = {
            "province": province.name,
            "province_code": province.code,
            "city": pref.name
            if pref
            else (province.name if province.kind == "municipality" else None),
            "city_code": pref.code if pref else None,
            "district": county.name if county else None,
            "district_code": county.code if county else None,
        }
        return label

    def chain(self, county: Unit) -> tuple[Unit, Unit | None]:
        parent = self.units[county.parent]
        if parent.kind == "prefecture":
            return self.units[parent.parent], parent
        return parent, None

    # -- noise --------------------------------------------------------------
    def detail(self, county: Unit | None, town: bool = True) -> str:
        rng = self.rng
        parts = []
        if county is not None and town and rng.random() < 0.35 and self.towns.get(county.code):
            parts.append(rng.choice(self.towns[county.code]))
        parts.append(f"{rng.choice(ROADS)}{rng.randint(1, 999)}号")
        if rng.random() < 0.7:
            parts.append(rng.choice(ESTATES))
        building = rng.choice(BUILDINGS).format(
            b=rng.randint(1, 30), u=rng.randint(1, 6), r=rng.randint(101, 2806)
        )
        parts.append(building)
        return "".join(parts)

    def short(self, unit: Unit) -> str:
        return self.rng.choice(unit.shorts) if unit.shorts else unit.name

    def person(self) -> tuple[str, str]:
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        return name, phone

    def add(self, category: str, text: str, label: dict[str, Any], **extra: Any) -> None:
        if text in self.seen:
            return
        self.seen.add(text)
        self.lines.append({"text": text, "category": category, **label, **extra})

    def sep(self) -> str:
        return self.rng.choice(("", "", "", " "))

    # -- categories -----------------------------------------------------------
    def standard(self, n: int) -> None:
        for county in self.rng.sample(self.counties, n):
            prov, pref = self.chain(county)
            assert pref is not None
            s = self.sep()
            self.add(
                "standard",
                f"{prov.name}{s}{pref.name}{s}{county.name}{s}{self.detail(county)}",
                self.truth(county),
            )
        for pref in self.no_district:  # 东莞/中山/儋州/嘉峪关: no county level at all
            prov = self.units[pref.parent]
            self.add(
                "standard", f"{prov.name}{pref.name}{self.detail(None)}", self.truth(None, pref)
            )

    def abbreviated(self, n: int) -> None:
        for county in self.rng.sample(self.counties, n):
            prov, pref = self.chain(county)
            assert pref is not None
            head = f"{self.short(prov)}{self.short(pref)}{self.short(county)}"
            text = f"{head}{self.detail(county, town=False)}"
            self.add("abbreviated", text, self.truth(county))

    def no_province(self, n: int) -> None:
        for county in self.rng.sample(self.counties, n):
            _prov, pref = self.chain(county)
            assert pref is not None
            self.add(
                "no_province", f"{pref.name}{county.name}{self.detail(county)}", self.truth(county)
            )

    def district_only(self, n: int) -> None:
        pool = [u for u in self.unique_counties if u.kind != "municipal_district"]
        for county in self.rng.sample(pool, n):
            self.add("district_only", f"{county.name}{self.detail(county)}", self.truth(county))

    def trailing_text(self, n: int) -> None:
        for county in self.rng.sample(self.counties, n):
            prov, pref = self.chain(county)
            assert pref is not None
            remark = self.rng.choice(REMARKS)
            head = f"{prov.name}{pref.name}{county.name}{self.detail(county)}"
            self.add(
                "trailing_text",
                f"{head}{self.rng.choice(('', ' ', '，'))}{remark}",
                self.truth(county),
                remark=remark,
            )

    def name_phone(self, n: int) -> None:
        for i, county in enumerate(self.rng.sample(self.counties, n)):
            prov, pref = self.chain(county)
            assert pref is not None
            name, phone = self.person()
            address = f"{self.short(prov)}{pref.name}{county.name}{self.detail(county)}"
            ext = ""
            if i % 5 == 0:
                ext = f"-{self.rng.randint(1000, 9999)}"
            elif i % 5 == 1:
                ext = f"转{self.rng.randint(1000, 9999)}"
            form = i % 4
            if form == 0:
                text = f"{name} {phone}{ext} {address}"
            elif form == 1:
                text = f"{address} {name} {phone}{ext}"
            elif form == 2:
                text = f"{name}，{phone}{ext}，{address}"
            else:
                text = f"收货人：{name} 电话：{phone}{ext} 地址：{address}"
            self.add(
                "name_phone",
                text,
                self.truth(county),
                name=name,
                phone=phone,
                extension=ext.lstrip("-转") or None,
            )

    def full_width(self, n: int) -> None:
        for county in self.rng.sample(self.counties, n):
            prov, pref = self.chain(county)
            assert pref is not None
            text = f"{prov.name} {pref.name} {county.name} {self.detail(county)}"
            self.add(
                "full_width", "".join(FULL_WIDTH.get(ch, ch) for ch in text), self.truth(county)
            )

    def duplicated_city(self, n: int) -> None:
        for i, county in enumerate(self.rng.sample(self.counties, n)):
            prov, pref = self.chain(county)
            assert pref is not None
            forms = (
                f"{prov.name}{pref.name}{pref.name}{county.name}",
                f"{self.short(pref)}{pref.name}{county.name}",
                f"{prov.name}{pref.name}{county.name}{pref.name}",
                f"{self.short(prov)}{self.short(pref)}{pref.name}{county.name}",
            )
            self.add("duplicated_city", f"{forms[i % 4]}{self.detail(county)}", self.truth(county))

    def direct_county(self, rounds: int) -> None:
        for _ in range(rounds):
            for county in self.direct:
                prov = self.units[county.parent]
                form = self.rng.randrange(3)
                head = (
                    f"{prov.name}{county.name}",
                    f"{self.short(prov)}{self.short(county)}",
                    f"{county.name}",
                )[form]
                if form == 2 and len(self.by_name[county.name]) > 1:
                    continue
                self.add("direct_county", f"{head}{self.detail(county)}", self.truth(county))

    def municipality(self, n: int) -> None:
        for i, county in enumerate(self.rng.sample(self.municipal, n)):
            prov = self.units[county.parent]
            forms = (
                f"{prov.name}{county.name}",
                f"{self.short(prov)}{prov.name}{county.name}",
                f"{prov.name}市辖区{county.name}",
                f"{self.short(prov)}{self.short(county)}",
                f"{prov.name} {county.name}",
            )
            head = forms[i % 5]
            self.add("municipality", f"{head}{self.detail(county)}", self.truth(county))

    def legacy_names(self, n: int) -> None:
        rows = [r for r in self.legacy if r["changed"][:4] >= "2005"]
        picked = self.rng.sample(rows, min(n, len(rows)))
        for row in picked:
            new = self.units[row["new_code"]]
            context = row["old_context"]
            if new.kind == "prefecture":
                # An old prefecture name: follow it with one of its current counties.
                kids = [u for u in self.counties if u.parent == new.code]
                county = self.rng.choice(kids)
                text = f"{context}{row['old_name']}{county.name}{self.detail(county)}"
                self.add("legacy", text, self.truth(county), legacy=row["old_name"])
            else:
                text = f"{context}{row['old_name']}{self.detail(new, town=False)}"
                self.add("legacy", text, self.truth(new), legacy=row["old_name"])

    def ambiguous(self, rounds: int) -> None:
        """Names several units share, with nothing in the text to choose."""
        shared = sorted(
            name for name, owners in self.shared.items() if len({u.parent for u in owners}) > 1
        )
        for name in shared:
            owners = self.shared[name]
            shorts = {s for u in owners for s in u.shorts}
            forms = [name] * rounds + [
                s for s in sorted(shorts) if len({u.code for u in self.by_name[s]}) > 1
            ]
            for form in forms:
                self.unsure(f"{form}{self.detail(None)}", owners)
            by_prov: dict[str, list[Unit]] = defaultdict(list)
            for unit in owners:
                by_prov[unit.code[:2]].append(unit)
            for same in by_prov.values():
                if len({u.parent for u in same}) > 1:  # 江苏鼓楼区: 南京 or 徐州
                    prov = self.units[same[0].code[:2] + "0000"]
                    self.unsure(f"{prov.name}{name}{self.detail(None)}", same, province=prov)

    def unsure(self, text: str, owners: list[Unit], province: Unit | None = None) -> None:
        label = {"province": province.name if province else None, "city": None, "district": None}
        candidates = [self.truth(u) for u in owners]
        self.add(
            "ambiguous",
            text,
            label,
            unsure=True,
            candidates=[f"{c['province']}/{c['city'] or ''}/{c['district']}" for c in candidates],
        )

    def build(self) -> None:
        self.standard(150)
        self.abbreviated(120)
        self.no_province(120)
        self.district_only(100)
        self.trailing_text(120)
        self.name_phone(120)
        self.full_width(100)
        self.duplicated_city(80)
        self.direct_county(3)
        self.municipality(85)
        self.legacy_names(100)
        self.ambiguous(2)


def main() -> None:
    corpus = Corpus()
    corpus.build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="\n") as fh:
        for line in corpus.lines:
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    counts: dict[str, int] = defaultdict(int)
    for line in corpus.lines:
        counts[line["category"]] += 1
    print(f"{len(corpus.lines)} lines -> {OUT.relative_to(REPO)}", dict(counts))


if __name__ == "__main__":
    main()
