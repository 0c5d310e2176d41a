"""Running shards on a Ray cluster. Same shards, same worker function, same markers as a local run;
``OUT`` must be on storage every node can write: a shared file system, or a URL in object storage
(``s3://...``), where each task uploads its parts and marker and nothing else is shared."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cleaner.run.plan import Shard
from cleaner.run.shard import JobSettings, Outcomes, process_shard


@dataclass
class RayExecutor:
    """Submits one Ray task per shard, a bounded number in flight. ``address=None`` starts a local Ray."""

    address: str | None = None
    num_cpus: int | None = None
    in_flight_per_cpu: int = 2

    def run(self, shards: Sequence[Shard], settings: JobSettings,
            on_progress: Callable[[int, int], None] | None = None) -> Outcomes:
        """Progress is per shard here (``on_progress`` is not called): Ray tasks share no counter."""
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError("the Ray executor needs Ray: pip install 'cleaner[ray]'") from exc
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, num_cpus=self.num_cpus if self.address is None else None,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            # Ray retries a task whose worker died; a shard redone from scratch is safe (markers, atomic parts; in
            # object storage each attempt's parts have names of their own).
            task = ray.remote(max_retries=2)(process_shard)
            window = max(1, int(ray.cluster_resources().get("CPU", 1)) * self.in_flight_per_cpu)
            pending: dict[Any, Shard] = {}
            queue = iter(shards)
            while True:
                while len(pending) < window:
                    shard = next(queue, None)
                    if shard is None:
                        break
                    pending[task.remote(shard, settings)] = shard
                if not pending:
                    return
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    shard = pending.pop(ref)
                    try:
                        yield shard, ray.get(ref)
                    except Exception as exc:  # a task error carries the worker's exception
                        yield shard, exc
        finally:
            if started_here:
                ray.shutdown()
