"""Douyin push intake (webhook, channels.md §2.9): verify, mark, return.

::

    marks = PushMarks()
    intake = PushIntake.from_kit(kit, marks)       # or PushIntake(marks).add_shop(...)
    result = intake.handle(request.headers, request.body)   # any framework
    app = PushApp(intake)                          # or mount this ASGI app

    for shop_id in marks.take():                   # the scheduler, e.g. every few seconds
        kit.sync(shop_id)

See docs/push.md.
"""

from orderkit_douyin.push.asgi import PushApp
from orderkit_douyin.push.intake import PushIntake, PushResult
from orderkit_douyin.push.marks import PushMarks
from orderkit_douyin.push.signature import event_sign, verify_event_sign

__all__ = ["PushApp", "PushIntake", "PushMarks", "PushResult", "event_sign", "verify_event_sign"]
