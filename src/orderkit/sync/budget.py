"""A per-shop call budget (token bucket). Waits go through the injected
sleeper, so tests assert them instead of sleeping."""

from __future__ import annotations

from orderkit.clock import Clock, Sleeper


class RateBudget:
    """At most ``rate`` calls per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Clock, sleeper: Sleeper) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleeper = sleeper
        self._tokens = float(burst)
        self._last = clock.now()

    def _refill(self) -> None:
        now = self._clock.now()
        elapsed = (now - self._last).total_seconds()
        if elapsed > 0:
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
            self._last = now

    def acquire(self) -> float:
        """Take one call; returns how long it waited."""
        self._refill()
        waited = 0.0
        if self._tokens < 1:
            waited = (1 - self._tokens) / self.rate
            self._sleeper.sleep(waited)
            self._refill()
            self._tokens = max(self._tokens, 1.0)  # a fake sleeper may not move the clock
        self._tokens -= 1
        return waited
