"""``orderkit run``: the scheduler over the jobs of a day (see ``runner``)."""

from orderkit.run.jobs import Job, JobResult, day_jobs
from orderkit.run.leases import JobLeases, JobState
from orderkit.run.runner import JobOutcome, Runner, RunnerBusy, RunReport

__all__ = [
    "Job",
    "JobLeases",
    "JobOutcome",
    "JobResult",
    "JobState",
    "RunReport",
    "Runner",
    "RunnerBusy",
    "day_jobs",
]
