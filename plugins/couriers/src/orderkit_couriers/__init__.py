"""orderkit courier plugins: SF Express, ZTO, YTO and JD Logistics.

One distribution, one plugin module (and entry point) per courier, named by
its code: ``orderkit_couriers.sf``, ``.zto``, ``.yto``, ``.jd``. Each books a
pickup (``book_pickup``: the courier's create-order API, idempotent per
``PickupRequest.idempotency_key``) and ships a local sandbox.

Shared pieces: ``common`` (digests, order ids, parties, HTTP errors) and
``sandboxing`` (what every sandbox has: transport, WSGI app, injected
failures, booking record).
"""

__version__ = "0.1.0"
