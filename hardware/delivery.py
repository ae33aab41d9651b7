"""Counter actions on their way to the server: one sender per counter, retried until answered.

Each key press gets its own Idempotency-Key. A press the server did not answer (network down,
server restarting, a 5xx) is sent again with the same key, 0.1 s, 0.2 s, ... up to 2 s apart,
until it is answered or `deadline` passes; the server answers a repeated key with its first
answer, so a press is applied at most once. Presses of one counter go in order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.devices_config import SerialDevice
from hardware.keypad import Keypad, KeyPress
from hardware.protocol import Key
from hardware.server_api import Answer, ServerApi, ServerUnavailable

log = logging.getLogger("hardware.agent")

ACTIONS: dict[Key, str] = {
    Key.NEXT: "call-next",
    Key.RECALL: "recall",
    Key.START: "start",
    Key.NOSHOW: "no-show",
    Key.DONE: "complete",
    Key.XFER: "transfer",
    Key.CALL: "call",
    Key.PAUSE: "pause",
    Key.RESUME: "resume",
}


def press_key(press: KeyPress) -> str:
    """A fresh Idempotency-Key for one press: readable prefix, random rest (fits 64 chars)."""
    return f"kp{press.address:02d}-{press.key.value.lower()}-{uuid.uuid4().hex}"


@dataclass
class Job:
    """One press on its way to the server."""

    press: KeyPress
    keypad: Keypad
    device: SerialDevice
    key: str
    counts: dict[str, int]


@dataclass
class Delivery:
    """Counts of what the server made of one keypad's presses."""

    counts: dict[str, int] = field(
        default_factory=lambda: {
            "sent": 0,
            "answered": 0,
            "rejected": 0,
            "retries": 0,
            "replays": 0,
            "expired": 0,
            "queue_full": 0,
        }
    )


class CounterSender:
    """Sends one counter's presses in order; a press is retried with its key until answered."""

    def __init__(
        self,
        counter: int,
        api: ServerApi,
        stop: threading.Event,
        *,
        deadline: float = 120.0,
        backoff: tuple[float, float] = (0.1, 2.0),
    ) -> None:
        self.counter = counter
        self.api = api
        self.stop = stop
        self.deadline = deadline
        self.backoff = backoff
        self.jobs: queue.Queue[Job] = queue.Queue(maxsize=16)
        self.on_answer: Callable[[Job, Answer | None], None] = lambda job, answer: None
        threading.Thread(target=self._run, name=f"counter {counter}", daemon=True).start()

    def submit(self, job: Job) -> bool:
        """Queue a press; False when this counter already has 16 waiting."""
        try:
            self.jobs.put_nowait(job)
            return True
        except queue.Full:
            return False

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                job = self.jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            answer = self.deliver(job)
            job.keypad.settle(job.press)
            self.on_answer(job, answer)

    def deliver(self, job: Job) -> Answer | None:
        """POST until a non-5xx answer (None when the deadline passed first)."""
        press = job.press
        path = f"/api/v1/counters/{self.counter}/{ACTIONS[press.key]}"
        body = {"service": press.arg} if press.key is Key.XFER else {}
        if press.key is Key.CALL:
            body = {"ticket": press.arg}
        give_up = time.monotonic() + self.deadline
        delay = self.backoff[0]
        job.counts["sent"] += 1
        while True:
            try:
                answer = self.api.request("POST", path, body, idempotency_key=job.key)
                if answer.status < 500:
                    return answer
                problem = f"HTTP {answer.status}"
            except ServerUnavailable as err:
                problem = str(err)
            if time.monotonic() + delay > give_up or self.stop.is_set():
                log.error(
                    "counter %s: %s given up after %s: %s",
                    self.counter,
                    press.key,
                    self.deadline,
                    problem,
                )
                return None
            job.counts["retries"] += 1
            log.warning(
                "counter %s: %s not answered (%s); retrying with key %s in %.1f s",
                self.counter,
                press.key,
                problem,
                job.key,
                delay,
            )
            self.stop.wait(delay)
            delay = min(delay * 2, self.backoff[1])
