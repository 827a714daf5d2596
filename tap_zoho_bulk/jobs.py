"""The bulk job lifecycle shared by every product: submit → poll → download to a temp file.

Submitting and consuming are separate steps so that jobs of several streams can later be submitted
up front and run on Zoho's side while the tap emits another stream.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import JobFailedError, JobTimeoutError
from tap_zoho_bulk.model import JobRequest, JobState, JobStatus, Position, StreamDefinition
from tap_zoho_bulk.products.base import BulkProduct

LOGGER = logging.getLogger("tap-zoho-bulk")


@dataclass(frozen=True)
class Download:
    """A downloaded result file and where the export continues after it (None: it was the last)."""

    path: Path
    next_position: Position | None


class JobRunner:
    """Runs bulk read jobs for any product through one client."""

    def __init__(
        self,
        client: ZohoClient,
        *,
        poll_interval: float = 1.0,
        poll_max_interval: float = 60.0,
        timeout: float = 7200.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.poll_interval = poll_interval
        self.poll_max_interval = poll_max_interval
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self.polls = 0

    def submit(self, product: BulkProduct, request: JobRequest) -> str:
        """Create a bulk read job; return its id."""
        _, created = self.client.request_json("POST", request.url, json=request.body)
        return product.job_id(created)

    def wait(
        self, product: BulkProduct, stream: StreamDefinition, job_id: str, position: Position
    ) -> JobStatus:
        """Poll until the job completes, with capped exponential backoff and an overall deadline."""
        url = product.status_url(stream, job_id)
        started = self._clock()
        interval = self.poll_interval
        while True:
            remaining = self.timeout - (self._clock() - started)
            if remaining <= 0:
                raise JobTimeoutError(
                    f"{stream.name}: bulk job {job_id} did not complete within {self.timeout:.0f} s "
                    "(job_timeout); state was not advanced"
                )
            self._sleep(min(interval, remaining))
            interval = min(interval * 2 if interval > 0 else 0.5, self.poll_max_interval)
            _, payload = self.client.request_json("GET", url)
            self.polls += 1
            status = product.parse_status(payload, position)
            if status.state is JobState.COMPLETED:
                return status
            if status.state is JobState.FAILED:
                raise JobFailedError(
                    f"{stream.name}: Zoho reports bulk job {job_id} as {status.raw_state}"
                    + (f": {status.error}" if status.error else "")
                )
            LOGGER.debug("%s: job %s is %s", stream.name, job_id, status.raw_state)

    @contextmanager
    def download(
        self, product: BulkProduct, stream: StreamDefinition, status: JobStatus
    ) -> Iterator[Download]:
        """Download the job's result into a temporary file, removed when the block ends."""
        if not status.download_url:
            raise JobFailedError(
                f"{stream.name}: bulk job {status.job_id} completed with {status.count} records "
                "but without a download_url; state was not advanced"
            )
        url = self.client.absolute(product.base_url, status.download_url)
        handle = tempfile.NamedTemporaryFile(prefix="zoho-bulk-", suffix=".zip", delete=False)  # noqa: SIM115
        handle.close()
        path = Path(handle.name)
        try:
            size, headers = self.client.download(url, path)
            LOGGER.info("Downloaded result of job %s (%d bytes)", status.job_id, size)
            yield Download(path, product.next_position(status, headers))
        finally:
            path.unlink(missing_ok=True)
