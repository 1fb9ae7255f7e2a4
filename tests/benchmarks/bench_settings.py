"""Settings of the API load benchmark: the production settings plus a bare constant-JSON view to compare with."""

from carbon_platform.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.bench_urls"
