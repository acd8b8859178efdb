"""The channel contract of ``orderkit.testing``, run for Taobao."""

from __future__ import annotations

from typing import ClassVar

import orderkit_taobao
from orderkit.testing import ChannelContract, SignatureExample
from orderkit_taobao.signing import sign
from orderkit_taobao.statuses import DOCUMENTED_CODES

#: channels.md §1.3's ordering example; the digest is MD5 of
#: "helloworld" + "bar2foo1foo_bar3foobar4" + "helloworld", upper hex.
_PARAMS = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}


class TestTaobaoContract(ChannelContract):
    plugin_name = "taobao"
    plugin: ClassVar[object] = orderkit_taobao
    # NO_REFUND is in the reference too: undocumented by the metadata enum,
    # present in real payloads (§1.7).
    documented_statuses: ClassVar = {
        **{name: set(codes) for name, codes in DOCUMENTED_CODES.items()},
        "refund_status": {*DOCUMENTED_CODES["refund_status"], "NO_REFUND"},
    }
    signature_examples: ClassVar = [
        SignatureExample(
            params=_PARAMS,
            secret="helloworld",
            expected="5AAF1C690262A24768F5478B084C2C8A",
            sign=lambda params, secret: sign(params, secret, "md5"),
            source="channels.md §1.3 ordering example, md5",
        ),
    ]
