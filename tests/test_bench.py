"""The benchmark script runs (tiny sizes, no timing asserted), so `make bench` does not rot."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from tests.common import ROOT


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(ROOT, "bench", "run.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # Pyramid's Configurator looks its caller up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_run"]


def test_a_small_run_reports_every_call_and_target(bench, tmp_path):
    assert bench.main_cli(["--sizes", "30,60", "--backends", "sqlite", "--repeat", "4", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "RESULTS.md").read_text()
    for call in ("userName lookup", "GET /Users/{id}", "POST /Users", "deactivating PATCH", "floor: bare Pyramid JSON route"):
        assert f"| {call} |" in report
    assert "| sqlite | GET /Users/{id}: median at 60 / at 30 (interleaved) |" in report
    assert "| sqlite | deactivating PATCH |" in report  # the interleaved table
    assert "Full import, count=100: 1 pages" in report
