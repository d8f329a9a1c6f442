"""What scraping /metrics costs dispatch: the dispatch benchmark (benchmarks/dispatch.py: real
`truthset serve` processes, simulated workers over HTTP) run in pairs, without and with a
Prometheus-style scraper fetching /metrics every second from every server during the run.

    .venv/bin/python benchmarks/metrics.py [--workers 50] [--objects 1000] [--tasks 1500]
        [--pairs 2] [--database-url URL]

Goal: scraping adds less than 5% to the run's time (tasks/s falls by less than 5%). Runs
alternate (plain, scraped, plain, scraped, ...) so drift on a shared machine hits both alike;
the figures compare the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

# Run as a script from the repository: benchmarks/ is then on the path.
from dispatch import drive, fresh_database, prepare, start_servers, stop_servers  # type: ignore[import-not-found]

from truthset.settings import Settings


async def scrape(ports: list[int], stop: asyncio.Event, seconds: list[float]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            for port in ports:
                started = time.perf_counter()
                response = await client.get(f"http://127.0.0.1:{port}/metrics")
                response.raise_for_status()
                assert b"truthset_job_queue_depth" in response.content
                seconds.append(time.perf_counter() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)


async def measured(
    ports: list[int], tokens: list[str], budget: int, scraped: bool
) -> tuple[float, int, list[float]]:
    stop = asyncio.Event()
    scrapes: list[float] = []
    scraper = asyncio.create_task(scrape(ports, stop, scrapes)) if scraped else None
    seconds, load = await drive(ports, tokens, budget)
    stop.set()
    if scraper is not None:
        await scraper
    return seconds, load.done, scrapes


def one_run(args: argparse.Namespace, index: int, scraped: bool) -> tuple[float, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="truthset-metrics-bench-"))
    url = fresh_database(args.database_url, f"metrics_{index}")
    settings = Settings(data_dir=folder, database_url=url, fast_password_hashing=True)
    tokens = prepare(settings, args.workers, args.objects, args.per_object)
    processes, ports = start_servers(settings, args.servers)
    budget = min(args.tasks, args.objects * args.per_object)
    try:
        seconds, done, scrapes = uvloop.run(measured(ports, tokens, budget, scraped))
    finally:
        stop_servers(processes)
        shutil.rmtree(folder, ignore_errors=True)
    rate = done / seconds
    extra = (
        f", {len(scrapes)} scrapes, p50 {statistics.median(scrapes) * 1000:.1f} ms"
        if scrapes
        else ""
    )
    print(
        f"   run {index}: {'scraped' if scraped else 'plain  '} {done} tasks in {seconds:.1f} s = {rate:.0f} tasks/s{extra}",
        flush=True,
    )
    return rate, scrapes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--per-object", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=1500)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    plain: list[float] = []
    scraped: list[float] = []
    scrape_times: list[float] = []
    for pair in range(args.pairs):
        plain.append(one_run(args, 2 * pair, False)[0])
        rate, scrapes = one_run(args, 2 * pair + 1, True)
        scraped.append(rate)
        scrape_times += scrapes
    base, with_scrape = statistics.median(plain), statistics.median(scraped)
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    cost = (base / with_scrape - 1) * 100
    print(
        f"\n/metrics every second during dispatch: {backend}, {args.workers} workers, {args.servers} server(s)"
    )
    print(
        "| runs | plain tasks/s (median) | scraped tasks/s (median) | added time | scrape p50 | scrape max |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.pairs} + {args.pairs} | {base:.0f} | {with_scrape:.0f} | {cost:+.1f}% | "
        f"{statistics.median(scrape_times) * 1000:.1f} ms | {max(scrape_times) * 1000:.1f} ms |"
    )
    print("goal: added time < 5%: " + ("met" if cost < 5 else "NOT met"))


if __name__ == "__main__":
    main()
