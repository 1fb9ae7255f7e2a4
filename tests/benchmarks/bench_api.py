"""Benchmark of the API under a bounded loopback load: gunicorn on PostgreSQL with the demo data, 16 wrk
connections for a few seconds per endpoint; p50/p95 of footprint detail, a filtered list page and PACT's
/2/footprints?limit=100, and footprint detail's throughput as a ratio to a bare Django view returning a
constant JSON body, measured in the same run: every endpoint in turn, three rounds by default, figures of
the median round and ratios the median of each round's own.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/carbon_bench .venv/bin/python tests/benchmarks/bench_api.py
      [--seconds 10] [--connections 16] [--workers 4] [--rounds 3] [--read-cache on|off|both]
With the read cache on, gunicorn gets CACHE_URL=redis://127.0.0.1:6379/14 (flushed first), as docker-compose
runs it; off, every read goes to PostgreSQL.
Needs the seeded scratch database of bench_rollup.py (with footprints) and wrk (apt-get install wrk); its
--timeout is 30 s, so slow answers are measured rather than dropped.
Loopback only, bounded in time.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.settings")
if "bench" not in os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]:
    sys.exit(
        "DATABASE_URL must name the seeded scratch database with 'bench' in its name (see bench_rollup.py)."
    )

import django  # noqa: E402

django.setup()

GOAL_DETAIL_P95_MS = 25.0
GOAL_LIST_P95_MS = 60.0
GOAL_RATIO = 0.5
LUA = Path(__file__).with_name("bench_api.lua")
CACHE_DB = 14  # a Redis database of its own, flushed before each configuration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def credentials() -> tuple[str, str, int]:
    """A personal API token of the demo carmaker, a PACT read token of its client, and a model with a footprint."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken
    from rest_framework.authtoken.models import Token

    from accounting.models import Footprint
    from carbon_platform.tenancy.models import ApiClient, Membership
    from pact.services import pact_client_create

    member = (
        Membership.objects.select_related("user", "organisation")
        .filter(organisation__kind="carmaker")
        .first()
    )
    api_token, _ = Token.objects.get_or_create(user=member.user)
    client = ApiClient.objects.filter(organisation=member.organisation, name="API benchmark").first()
    if client is None:
        client, _secret = pact_client_create(organisation=member.organisation, name="API benchmark")
    pact_token = AccessToken.objects.create(
        application=client.application,
        token=f"bench-{time.time_ns()}",
        expires=timezone.now() + timedelta(hours=1),
        scope="read",
    )
    footprint = Footprint.objects.filter(is_current=True).order_by("vehicle_model_id").first()
    if footprint is None:
        sys.exit("no footprints: run bench_rollup.py on this database first")
    return api_token.key, pact_token.token, footprint.vehicle_model_id


def start_gunicorn(port: int, workers: int, read_cache: bool) -> subprocess.Popen:
    env = {
        **os.environ,
        # As docker-compose runs it: a shared Redis cache (a scratch database number), or none.
        "CACHE_URL": f"redis://127.0.0.1:6379/{CACHE_DB}" if read_cache else "",
        "API_READ_CACHE": "1" if read_cache else "0",
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bench_settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PACT_REQUIRE_HTTPS": "0",
        "TRUST_X_FORWARDED_PROTO": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain http on loopback: no TLS proxy in front
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "carbon_platform.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/constant/", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit("gunicorn did not answer within 60 s")


def load(url: str, header: str | None, seconds: int, connections: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(LUA),
        url,
    ]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    match = re.search(r"RESULT (.*)", output)
    if not match:
        sys.exit(f"wrk printed no result for {url}:\n{output}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="run every endpoint this many times in turn; each figure is of the median round (default: 3)",
    )
    parser.add_argument(
        "--read-cache",
        choices=["on", "off", "both"],
        default="both",
        help="the API read cache (default: both)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    api_token, pact_token, model_id = credentials()
    cases = [
        ("bare Django view, constant JSON", "/bench/constant/", None),
        (
            "authenticated DRF view, constant JSON",
            "/bench/authenticated/",
            f"Authorization: Token {api_token}",
        ),
        (
            "footprint detail",
            f"/api/v1/vehicle-models/{model_id}/footprint/",
            f"Authorization: Token {api_token}",
        ),
        (
            "filtered list page (BEV, by per-kg footprint)",
            "/api/v1/vehicle-models/?powertrain=BEV&ordering=-footprint_kg_co2e_per_kg",
            f"Authorization: Token {api_token}",
        ),
        ("PACT /2/footprints?limit=100", "/2/footprints?limit=100", f"Authorization: Bearer {pact_token}"),
    ]
    configurations = {"on": [True], "off": [False], "both": [False, True]}[args.read_cache]
    verdicts = []
    for read_cache in configurations:
        label = "read cache on (CACHE_URL set, as docker-compose runs it)" if read_cache else "read cache off"
        print(f"-- {label}")
        subprocess.run(["redis-cli", "-n", str(CACHE_DB), "FLUSHDB"], check=True, capture_output=True)
        rounds = run_cases(cases, args, read_cache)
        # The ratios of each round, then the median: the bare view and the detail were loaded minutes, not
        # seconds, apart, and this machine's speed drifts in between.
        ratio = statistics.median(
            r["footprint detail"]["rps"] / r["bare Django view, constant JSON"]["rps"] for r in rounds
        )
        floor = statistics.median(
            r["authenticated DRF view, constant JSON"]["rps"] / r["bare Django view, constant JSON"]["rps"]
            for r in rounds
        )
        results = {name: median_round([r[name] for r in rounds]) for name, _path, _header in cases}
        if len(rounds) > 1:
            for name, _path, _header in cases:
                print(f"median of {len(rounds)}: " + describe(name, results[name]))
        detail, listing = (
            results["footprint detail"],
            results["filtered list page (BEV, by per-kg footprint)"],
        )
        verdicts.append(
            f"{label}: detail p95 {detail['p95_us'] / 1000:.1f} ms "
            f"(<= {GOAL_DETAIL_P95_MS:.0f}: {verdict(detail['p95_us'] / 1000 <= GOAL_DETAIL_P95_MS)}), "
            f"list p95 {listing['p95_us'] / 1000:.1f} ms "
            f"(<= {GOAL_LIST_P95_MS:.0f}: {verdict(listing['p95_us'] / 1000 <= GOAL_LIST_P95_MS)}), "
            f"detail throughput / bare view {ratio:.2f} (>= {GOAL_RATIO}: {verdict(ratio >= GOAL_RATIO)}); "
            f"authenticated floor / bare view {floor:.2f}"
        )
    print(
        f"gunicorn {args.workers} sync workers, {args.connections} connections, {args.seconds} s per endpoint on "
        f"loopback, {args.rounds} rounds (figures of the median round, ratios the median of the rounds'); goals:"
    )
    for line in verdicts:
        print("  " + line)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def median_round(figures: list[dict]) -> dict:
    """The figures of the round with the median throughput (its latencies with it, not mixed)."""
    return sorted(figures, key=lambda f: f["rps"])[len(figures) // 2]


def describe(name: str, figures: dict) -> str:
    return (
        f"{name}: {figures['rps']:.0f} req/s, p50 {figures['p50_us'] / 1000:.1f} ms, "
        f"p95 {figures['p95_us'] / 1000:.1f} ms, p99 {figures['p99_us'] / 1000:.1f} ms, "
        f"errors {figures['status_errors'] + figures['socket_errors']} of {figures['requests']}"
    )


def run_cases(cases, args, read_cache: bool) -> list[dict]:
    """Every endpoint in turn, `args.rounds` times, against one gunicorn: a dict of figures per round."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, args.workers, read_cache)
    rounds = []
    try:
        for number in range(1, args.rounds + 1):
            results = {}
            for name, path, header in cases:
                request = urllib.request.Request(
                    base + path, headers=dict([header.split(": ", 1)]) if header else {}
                )
                with urllib.request.urlopen(request, timeout=30) as answer:  # warm up, check it answers 200
                    answer.read()
                figures = results[name] = load(base + path, header, args.seconds, args.connections)
                print(f"round {number}: " + describe(name, figures))
            rounds.append(results)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rounds


if __name__ == "__main__":
    main()
