"""``orderkit.testing``: an opt-in pytest plugin for plugin authors.

Enable it in your plugin's ``conftest.py``::

    pytest_plugins = ["orderkit.testing"]

and subclass :class:`ChannelContract` (channel plugins) or
:class:`CourierContract` (courier plugins) in a test module. Install with the
``orderkit[testing]`` extra. Nothing here runs unless you opt in.
"""

from orderkit.testing.contract import ChannelContract, ContractSandbox, SignatureExample
from orderkit.testing.courier_contract import (
    ContractCourierSandbox,
    CourierContract,
    CourierSignatureExample,
)
from orderkit.testing.fixtures import (
    captured_logs,
    channel_transport,
    load_payload,
    make_kit,
    orderkit_pm,
)

__all__ = [
    "ChannelContract",
    "ContractCourierSandbox",
    "ContractSandbox",
    "CourierContract",
    "CourierSignatureExample",
    "SignatureExample",
    "captured_logs",
    "channel_transport",
    "load_payload",
    "make_kit",
    "orderkit_pm",
]
