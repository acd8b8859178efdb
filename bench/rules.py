"""Orders/s through holds + gifts + allocation + courier, with no I/O.

Run::

    pip install -e '.[bench]'
    python bench/rules.py            # --runs 5 --orders 2000

Everything is measured in this process, as ratios:

- ``decide`` at 10 and at 1,000 gift rules against pydantic validation
  (``Order.model_validate``) of the same orders;
- 1,000 rules against 10 (the rule index keeps this near 1x);
- the same 10 and 100 gift conditions evaluated with the ``rule-engine``
  package, the peer a team would otherwise pick, against orderkit's gift stage
  and against orderkit's conditions evaluated one by one without the index.

The rule sets are shaped like real ones: a few rules for every order
(amount tiers, first purchase, a time window, a shop) and the rest keyed on
SKUs (per-SKU promotions), which is how rule counts grow to the thousands.
Each figure is the median of ``--runs`` runs, in CPU time of this process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from orderkit.config import load_config_text
from orderkit.decisions import DecisionContext
from orderkit.models import Order
from orderkit.rules import RuleSet, order_facts

WAREHOUSES = ("HZ", "GZ", "YW")
PROVINCES = ("浙江省", "江苏省", "上海市", "广东省", "四川省", "新疆维吾尔自治区", "北京市")
CATALOG_SIZE = 2000

HEAD = """\
version: 1
warehouses:
  - {code: HZ, name: 杭州仓, regions: [华东], priority: 1}
  - {code: GZ, name: 广州仓, regions: [华南], priority: 2}
  - {code: YW, name: 义乌仓, regions: [浙江], priority: 3}
couriers: [{code: zto}, {code: yto}, {code: sf}, {code: deppon}]
skus:
"""

RULES = """\
rules:
  holds:
    - {id: addr, check: address_changed}
    - {id: refund, check: refund_in_progress}
    - {id: msg, check: buyer_message, severity: warn}
    - {id: big, check: amount_above, limit: 5000}
    - {id: black, check: blacklisted}
    - {id: unknown, check: unknown_sku}
    - {id: doubt, check: address_doubtful}
    - {id: oos, check: out_of_stock}
    - {id: dup, check: duplicate}
  gifts:
    - id: spend
      tiers:
        - {when: {paid: {gte: 199}}, add: [G1]}
        - {when: {paid: {gte: 299}}, add: [G2]}
    - {id: welcome, when: {buyer: {first_purchase: true}}, add: [G3]}
    - id: march
      when: {window: {from: 2026-03-01, until: 2026-03-31}, paid: {gte: 99}}
      add: [G1]
    - {id: vip-shop, when: {shop: [tmall-vip]}, add: [{pool: [G2, G3]}]}
{sku_rules}
  allocation:
    - {id: south, when: {region: {province: [华南]}}, warehouses: [GZ, HZ], split: by_warehouse}
    - id: east
      when: {region: {province: [华东]}}
      warehouses: [YW, HZ, GZ]
      split: fewest_packages
    - {id: rest, warehouses: [HZ, GZ, YW]}
  courier:
    - {id: bulky, when: {bulky: true}, courier: deppon, priority: 1}
    - {id: remote, when: {region: {remote_area: true}}, courier: yto}
    - {id: jzh, when: {region: {province: [江浙沪]}, weight_kg: {lte: 3}}, courier: zto}
    - {id: xj-no-sf, when: {region: {province: [新疆]}}, deny: [sf]}
    - {id: default, courier: sf, priority: 200}
"""

GENERAL_RULES = 4  # the rules above that every order meets


def sku_rule(i: int) -> str:
    return (
        f"    - {{id: sku-{i}, when: {{paid: {{gte: 299}}, sku: {{any: [S{i}]}}}}, "
        f"add: [G{i % 3 + 1}]}}"
    )


def rule_set(gift_rules: int) -> RuleSet:
    skus = "".join(f"  S{i}: {{weight_g: {50 + i % 400}}}\n" for i in range(CATALOG_SIZE))
    per_sku = "\n".join(sku_rule(i) for i in range(gift_rules - GENERAL_RULES))
    text = HEAD + skus + RULES.replace("{sku_rules}", per_sku)
    return RuleSet.from_config(load_config_text(text))


def payloads(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        lines = [
            {
                "line_id": str(i + 1),
                "sku": f"S{rng.randrange(CATALOG_SIZE)}",
                "quantity": rng.randint(1, 3),
                "unit_price": rng.choice((4900, 9900, 19900, 29900)),
            }
            for i in range(rng.randint(1, 3))
        ]
        total = sum(ln["quantity"] * ln["unit_price"] for ln in lines)
        out.append(
            {
                "channel": "taobao",
                "shop_id": rng.choice(("tmall-main", "tmall-vip")),
                "external_id": f"T{n}",
                "created_at": "2026-03-05T10:00:00+08:00",
                "paid_at": "2026-03-05T10:01:00+08:00",
                "modified_at": "2026-03-05T10:05:00+08:00",
                "amounts": {"goods_total": total, "paid": total},
                "lines": lines,
                "receiver": {
                    "province": rng.choice(PROVINCES),
                    "city": "某市",
                    "confidence": 0.9,
                },
                "buyer": {"buyer_id": f"b{n}", "message": rng.choice((None, "", "请尽快发货"))},
                "platform_status": {"status": "WAIT_SELLER_SEND_GOODS"},
            }
        )
    return out


def context_for(order: Order, rng: random.Random) -> DecisionContext:
    stock = {
        (sku, wh): rng.choice((0, 5, 50, 800))
        for sku in {ln.sku or "" for ln in order.lines} | {"G1", "G2", "G3"}
        for wh in WAREHOUSES
    }
    return DecisionContext(stock=stock, first_purchase_in_shop=rng.random() < 0.3)


def per_second(count: int, work: Callable[[], None]) -> float:
    # CPU time of this process: on a shared machine wall time also counts the
    # time other processes held the CPU. Every measure uses the same clock.
    start = time.process_time()
    work()
    return count / (time.process_time() - start)


def peer_rules(count: int) -> list[Any]:
    import rule_engine  # the peer: pip install rule-engine

    # The same conditions: per-SKU promotions above, amount and shop rules first.
    texts = ["paid >= 199", "first_purchase == true", "paid >= 99", "shop == 'tmall-vip'"]
    texts += [f"paid >= 299 and 'S{i}' in skus" for i in range(count - GENERAL_RULES)]
    return [rule_engine.Rule(text) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()

    raw = payloads(args.orders)
    orders = [Order.model_validate(p) for p in raw]
    rng = random.Random(11)
    contexts = [context_for(o, rng) for o in orders]
    pairs = list(zip(orders, contexts, strict=True))
    sets = {n: rule_set(n) for n in (10, 100, 1000)}
    peers = {n: peer_rules(n) for n in (10, 100)}
    peer_data = [
        {
            "paid": o.amounts.paid / 100,
            "skus": [ln.sku for ln in o.lines],
            "shop": o.shop_id,
            "first_purchase": c.first_purchase_in_shop,
        }
        for o, c in pairs
    ]

    def validate() -> None:
        for payload in raw:
            Order.model_validate(payload)

    def decide(rules: RuleSet) -> Callable[[], None]:
        def run() -> None:
            for order, context in pairs:
                rules.decide(order, context)

        return run

    def gift_stage(rules: RuleSet) -> Callable[[], None]:
        def run() -> None:
            for order, context in pairs:
                rules.gifts(order, context)

        return run

    def conditions_one_by_one(rules: RuleSet) -> Callable[[], None]:
        conditions = [r.head.condition for r in rules.gift_rules.index.rules]

        def run() -> None:
            for order, context in pairs:
                facts = order_facts(order, context, rules.catalog)
                for condition in conditions:
                    condition(facts, [])

        return run

    def conditions_indexed(rules: RuleSet) -> Callable[[], None]:
        index = rules.gift_rules.index

        def run() -> None:
            for order, context in pairs:
                facts = order_facts(order, context, rules.catalog)
                for rule in index.candidates(facts):
                    rule.head.condition(facts, [])

        return run

    n = len(pairs)
    peer_n = max(200, n // 10)  # the peer is slow: a tenth of the orders is plenty

    def peer_sample(rules: list[Any]) -> Callable[[], None]:
        sample = peer_data[:peer_n]

        def run() -> None:
            for data in sample:
                for rule in rules:
                    rule.matches(data)

        return run

    jobs: dict[str, tuple[int, Callable[[], None]]] = {
        "validate": (n, validate),
        "decide@10": (n, decide(sets[10])),
        "decide@100": (n, decide(sets[100])),
        "decide@1000": (n, decide(sets[1000])),
        "gifts@10": (n, gift_stage(sets[10])),
        "gifts@100": (n, gift_stage(sets[100])),
        "conditions@100": (n, conditions_one_by_one(sets[100])),
        "indexed@100": (n, conditions_indexed(sets[100])),
        "rule-engine@10": (peer_n, peer_sample(peers[10])),
        "rule-engine@100": (peer_n, peer_sample(peers[100])),
    }
    results: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(args.runs):
        for name, (count, work) in jobs.items():
            results[name].append(per_second(count, work))
    median = {name: statistics.median(values) for name, values in results.items()}

    print(f"{n} orders, {args.runs} runs, medians (orders/s)\n")
    print("| measure | orders/s | ratio |")
    print("|---|---:|---|")
    print(f"| pydantic `Order.model_validate` | {median['validate']:,.0f} | 1.00x (baseline) |")
    for rules in (10, 100, 1000):
        rate = median[f"decide@{rules}"]
        print(
            f"| decide (holds+gifts+allocation+courier), {rules} gift rules | {rate:,.0f} | "
            f"{rate / median['validate']:.2f}x validation |"
        )
    slow = median["decide@10"] / median["decide@1000"]
    print(f"| 1,000 vs 10 gift rules | | {slow:.2f}x slower |")
    for rules in (10, 100):
        peer_rate = median[f"rule-engine@{rules}"]
        print(f"| rule-engine, {rules} gift conditions | {peer_rate:,.0f} | |")
        print(
            f"| orderkit gift stage vs rule-engine, {rules} rules | "
            f"{median[f'gifts@{rules}']:,.0f} | {median[f'gifts@{rules}'] / peer_rate:.0f}x |"
        )
        print(
            f"| orderkit full decide vs rule-engine gift conditions, {rules} rules | | "
            f"{median[f'decide@{rules}'] / peer_rate:.0f}x |"
        )
    peer_100 = median["rule-engine@100"]
    print(
        f"| orderkit 100 conditions, all evaluated (no index) vs rule-engine | "
        f"{median['conditions@100']:,.0f} | {median['conditions@100'] / peer_100:.0f}x |"
    )
    print(
        f"| orderkit 100 conditions through the index (booleans + records only) vs rule-engine | "
        f"{median['indexed@100']:,.0f} | {median['indexed@100'] / peer_100:.0f}x |"
    )


if __name__ == "__main__":
    main()
