"""Concurrent clients for the web benches: each thread has its own logged-in session."""
import threading
import time


def concurrently(sessions: list, work, count: int) -> dict:
    """Run ``work(session, n)`` ``count`` times in all over one thread per session; ``work``
    returns True on success. Returns throughput, errors and the latencies."""
    lock, next_n = threading.Lock(), iter(range(count))
    latencies, errors = [], []

    def client(session):
        while True:
            with lock:
                n = next(next_n, None)
            if n is None:
                return
            started = time.perf_counter()
            try:
                ok = work(session, n)
            except Exception as exc:            # noqa: BLE001 (a bench counts, it does not stop)
                ok = False
                errors.append(repr(exc))
            else:
                if not ok:
                    errors.append(f"request {n} refused")
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"throughput": count / elapsed, "errors": errors, "latencies": latencies, "seconds": elapsed}
