"""A small closed-loop load generator: N threads, each with its own keep-alive connection
(stdlib http.client, so the client spends little CPU), sending requests back to back for a
fixed time after a warm-up. Every status is checked; latencies are kept for percentiles."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# A request: (method, path, headers, body). The factory gets (client number, sequence number).
Request = tuple[str, str, dict[str, str], bytes | None]
RequestFactory = Callable[[int, int], Request]
TIMEOUT = 300  # seconds; a slower answer counts as a connection error (status 0)


@dataclass
class Result:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: dict[int, int] = field(default_factory=dict)  # status (0 = connection error) -> n
    body_bytes: int = 0
    sent: int = 0  # every request answered, in the window or not (for CPU per request)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return (self.ok + self.failed) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


def run(
    host: str, port: int, make: RequestFactory, *, clients: int, seconds: float, warmup: float
) -> Result:
    """Drive `clients` threads for warmup + seconds; only the measured window is counted."""
    start_at = time.perf_counter() + 0.2
    measure_from = start_at + warmup
    stop_at = measure_from + seconds
    results = [Result(clients, seconds) for _ in range(clients)]
    threads = [
        threading.Thread(
            target=_client, args=(host, port, make, n, results[n], start_at, measure_from, stop_at)
        )
        for n in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Result(clients, seconds)
    for r in results:
        total.latencies += r.latencies
        total.body_bytes += r.body_bytes
        total.sent += r.sent
        for status, n in r.errors.items():
            total.errors[status] = total.errors.get(status, 0) + n
    return total


def _client(host, port, make, n, result: Result, start_at, measure_from, stop_at) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    while time.perf_counter() < start_at:
        time.sleep(0.001)
    seq = 0
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            break
        method, path, headers, body = make(n, seq)
        seq += 1
        began = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            status, data = 0, b""
        ended = time.perf_counter()
        result.sent += 1
        if ended < measure_from or ended > stop_at:
            continue  # finished during the warm-up, or after the window closed
        if 200 <= status < 300:
            result.latencies.append(ended - began)
            result.body_bytes += len(data)
        else:
            result.errors[status] = result.errors.get(status, 0) + 1
    conn.close()
