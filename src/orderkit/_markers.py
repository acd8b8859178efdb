"""The pluggy markers. Only ``hookimpl`` is public (re-exported by ``orderkit``)."""

import pluggy

PROJECT_NAME = "orderkit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
