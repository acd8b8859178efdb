"""``kit.process``: address -> holds -> gifts -> allocation -> courier choice
for one order, with side effects (quota, stock) after the pure decision."""

from orderkit.process.processor import ProcessBatch, Processor, ProcessOutcome

__all__ = ["ProcessBatch", "ProcessOutcome", "Processor"]
