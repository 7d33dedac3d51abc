"""Scale benchmark: a whole crawl of a large world through the CLI, time and peak memory.

For each world size (`--users`, default 10,000 and 100,000 users, about 10 follows each), the
emulator serves the world in its own process (follow lists of any user, a rate limit no run
can reach) and `python -m pipelines.run` crawls the follow graph from `self` to completion
(`--resources follow_graph`, a crawl depth and user cap that reach every user: each user's
profile and both follow lists are read), loads it into a fresh DuckDB file and builds the
analytics tables, in a subprocess whose peak RSS (`wait4`) is the run's. The bench depends on
the CLI and dlt's configuration only (flags and `SOURCES__INSTAGRAM__...` variables), not on
the source's internals.

Baseline, measured in the same run against the same emulator: plain `requests` with as many
threads as the source's workers crawls the same graph the same way (breadth first from `self`,
every profile and both follow lists of each user, pages of 50), appends the pages as JSON
lines and bulk-loads them into DuckDB with `read_json`.

Prints, per size: wall time ÷ baseline (whole run, and without the transforms), peak RSS,
RSS per phase (extract, normalize, load, transforms; sampled from /proc) with the model that
peaked, and the dlt state stored per load; then peak RSS at the largest size ÷ the smallest.
Every figure is checked: the run must exit 0 and hold exactly the edges the baseline read.

    .venv/bin/python -m bench.bench_scale [--users 10000 100000] [--seed 7] [--no-baseline]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-scale-token"
WORKERS = 8  # the source's default `workers`; the baseline uses as many threads
FOLLOW_PAGE = 50
# more hops than any world's diameter, and a cap above its size: the crawl reaches every user
# the graph connects to `self`, as the baseline does
CRAWL_DEPTH = 1000
RATE_LIMIT = 10**12
SAMPLE_SECONDS = 0.05
TARGETS = {"time": 1.5, "peak_mb": 1024, "growth": 1.3}

# ------------------------------------------------------------------------------- processes


@contextlib.contextmanager
def emulator(users: int, seed: int) -> Iterator[str]:
    """`python -m emulator` serving a world of `users` users; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--users", str(users), "--seed", str(seed), "--follows-any-user"]
        + ["--rate-limit", str(RATE_LIMIT), "--access-token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"the emulator did not start (exit code {process.wait()})")
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float | None:
    """Current resident memory of `pid` (MB), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


@dataclass
class Measured:
    """A child process run to completion: exit code, wall time, peak RSS (from wait4), its
    output lines with the time each arrived, and RSS samples over time."""

    returncode: int
    seconds: float
    peak_mb: float
    lines: list[tuple[float, str, str]] = field(default_factory=list)  # (seconds, "out"/"err", text)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MB)

    def stdout(self) -> str:
        return "\n".join(text for _, stream, text in self.lines if stream == "out")

    def stderr_tail(self, count: int = 40) -> str:
        return "\n".join(text for _, stream, text in self.lines if stream == "err")[-4000:]


def measure(command: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run `command`, sampling its RSS; the peak comes from the kernel's accounting (`wait4`)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    measured = Measured(returncode=-1, seconds=0.0, peak_mb=0.0)
    lock = threading.Lock()

    def read(stream, name: str) -> None:
        for line in stream:
            with lock:
                measured.lines.append((time.perf_counter() - started, name, line.rstrip("\n")))

    readers = [
        threading.Thread(target=read, args=(process.stdout, "out"), daemon=True),
        threading.Thread(target=read, args=(process.stderr, "err"), daemon=True),
    ]
    for reader in readers:
        reader.start()
    finished = threading.Event()

    def sample() -> None:
        while not finished.is_set():
            current = rss_mb(process.pid)
            if current is not None:
                measured.samples.append((time.perf_counter() - started, current))
            finished.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    measured.seconds = time.perf_counter() - started
    finished.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    measured.returncode = process.returncode
    measured.peak_mb = usage.ru_maxrss / 1024
    for reader in readers:
        reader.join()
    sampler.join()
    return measured


def child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", RUNTIME__DLTHUB_TELEMETRY="false", **extra)
    return env


# ------------------------------------------------------------------------------- the run


def run_pipeline(base_url: str, users: int, workdir: Path) -> Measured:
    """`python -m pipelines.run`: crawl everything, load, transform; configured like cron would."""
    env = child_env(
        SOURCES__INSTAGRAM__ACCESS_TOKEN=TOKEN,
        SOURCES__INSTAGRAM__BASE_URL=base_url,
        SOURCES__INSTAGRAM__TUNING__BUDGET_SHARE="1.0",
        SOURCES__INSTAGRAM__TUNING__WORKERS=str(WORKERS),
    )
    command = [sys.executable, "-m", "pipelines.run", "--duckdb", str(workdir / "instagram.duckdb")]
    command += ["--pipelines-dir", str(workdir / "pipelines"), "--resources", "follow_graph", "--users", "self"]
    command += ["--crawl-depth", str(CRAWL_DEPTH), "--crawl-max-users", str(2 * users + 2)]
    return measure(command, env, ROOT)


PHASE_MARKS = (  # (phase that starts, stream, pattern of the line that starts it)
    ("normalize", "err", re.compile(r"-- Normalize instagram")),
    ("load", "err", re.compile(r"-- Load instagram")),
    ("transforms", "out", re.compile(r"^Loaded in this run:")),  # printed after the load's repair
)
BUILT = re.compile(r"built instagram_analytics\.(\w+)")


def phases(run: Measured) -> tuple[dict[str, float], tuple[str, float]]:
    """Peak sampled RSS per phase, and the model whose build saw the highest RSS."""
    starts = {"extract": 0.0}
    for phase, stream, pattern in PHASE_MARKS:
        at = next((t for t, s, text in run.lines if s == stream and pattern.search(text)), None)
        if at is not None and phase not in starts:
            starts[phase] = at
    ordered = sorted(starts.items(), key=lambda item: item[1]) + [("end", run.seconds + 1)]
    peaks: dict[str, float] = {}
    for (phase, begin), (_, end) in zip(ordered, ordered[1:]):
        peaks[phase] = max((mb for t, mb in run.samples if begin <= t < end), default=0.0)
    model_peak = ("-", 0.0)
    previous = starts.get("transforms", run.seconds)
    for at, _, text in run.lines:
        if match := BUILT.search(text):
            mb = max((m for t, m in run.samples if previous <= t <= at), default=0.0)
            if mb > model_peak[1]:
                model_peak = (match[1], mb)
            previous = at
    return peaks, model_peak


def transform_seconds(run: Measured) -> float:
    match = re.search(r"^Transforms: ([\d.]+) s", run.stdout(), re.MULTILINE)
    return float(match[1]) if match else 0.0


def warehouse_figures(workdir: Path) -> dict[str, int]:
    """Edges held now, users profiled, and the dlt state: the JSON in the working folder and
    the compressed row dlt stores in `_dlt_pipeline_state` with each load."""
    import duckdb

    with duckdb.connect(str(workdir / "instagram.duckdb"), read_only=True) as con:
        edges = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT follower_id, followed_id FROM instagram_raw.follow_edges"
            " WHERE valid_to IS NULL AND follower_id IS NOT NULL)"
        ).fetchone()[0]
        profiled = con.execute("SELECT count(DISTINCT user_id) FROM instagram_raw.user_counts").fetchone()[0]
        stored = con.execute(
            "SELECT length(state), version FROM instagram_raw._dlt_pipeline_state ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        loads = con.execute("SELECT count(*) FROM instagram_raw._dlt_loads").fetchone()[0]
    state_json = workdir / "pipelines" / "instagram" / "state.json"
    return {
        "edges": edges,
        "profiled": profiled,
        "state_row_bytes": stored[0],
        "state_json_bytes": state_json.stat().st_size,
        "loads": loads,
    }


# ------------------------------------------------------------------------------- the baseline


def baseline_child(base_url: str, workdir: str) -> None:
    """Plain requests: crawl breadth first from self like the source, every profile and both
    follow lists of each user; pages appended as JSON lines; one read_json load per table."""
    import duckdb
    import requests

    out = Path(workdir) / "pages"
    out.mkdir()
    local = threading.local()
    sinks: list = []
    sinks_lock = threading.Lock()
    requests_made = itertools.count()

    def thread_files():
        if not hasattr(local, "session"):
            local.session = requests.Session()
            name = threading.get_ident()
            local.profiles = open(out / f"profiles_{name}.jsonl", "w")  # noqa: SIM115
            local.members = open(out / f"members_{name}.jsonl", "w")  # noqa: SIM115
            with sinks_lock:
                sinks.extend([local.profiles, local.members])
        return local

    def get(path: str, **params) -> requests.Response:
        next(requests_made)
        return thread_files().session.get(f"{base_url}{path}", params={"access_token": TOKEN, **params}, timeout=60)

    def read_user(uid: str) -> tuple[str | None, list[str]]:
        answer = get(f"/users/{uid}")
        if answer.status_code != 200:
            return None, []
        profile = answer.json()["data"]
        files = thread_files()
        files.profiles.write(json.dumps(profile) + "\n")
        real_id, found = profile["id"], []
        for prefix, part in (("follows", "follows"), ("followed_by", "followed-by")):
            list_key, cursor = f"{prefix}:{real_id}", None
            while True:
                body = get(f"/users/{uid}/{part}", count=FOLLOW_PAGE, **({"cursor": cursor} if cursor else {})).json()
                for member in body["data"]:
                    files.members.write(json.dumps({"list_key": list_key, "member_id": member["id"], **member}) + "\n")
                    found.append(member["id"])
                cursor = body.get("pagination", {}).get("next_cursor")
                if not cursor:
                    break
        return real_id, found

    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        self_id, found = read_user("self")
        visited = {"self", self_id}
        while found:
            level = [uid for uid in dict.fromkeys(found) if uid not in visited]
            visited.update(level)
            found = [member for _, members in pool.map(read_user, level) for member in members]
    for sink in sinks:
        sink.close()
    con = duckdb.connect(f"{workdir}/baseline.duckdb")
    con.execute(f"CREATE TABLE users AS SELECT * FROM read_json('{out}/profiles_*.jsonl')")
    con.execute(f"CREATE TABLE members AS SELECT * FROM read_json('{out}/members_*.jsonl')")
    edges = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT"
        " CASE WHEN list_key LIKE 'follows:%' THEN split_part(list_key, ':', 2) ELSE member_id END,"
        " CASE WHEN list_key LIKE 'follows:%' THEN member_id ELSE split_part(list_key, ':', 2) END FROM members)"
    ).fetchone()[0]
    profiled = con.execute("SELECT count(*) FROM users").fetchone()[0]
    con.close()
    print(
        json.dumps(
            {
                "edges": edges,
                "profiled": profiled,
                "requests": next(requests_made),
                "seconds": time.perf_counter() - started,
            }
        )
    )


def run_baseline(base_url: str, workdir: Path) -> tuple[Measured, dict]:
    command = [sys.executable, "-m", "bench.bench_scale", "--baseline-child", base_url, str(workdir)]
    measured = measure(command, child_env(), ROOT)
    if measured.returncode != 0:
        raise RuntimeError(f"the baseline failed:\n{measured.stderr_tail()}")
    return measured, json.loads(measured.stdout().splitlines()[-1])


# ------------------------------------------------------------------------------- the benchmark


def one_size(users: int, seed: int, with_baseline: bool, keep: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench_scale_{users}_"))
    with emulator(users, seed) as base_url:
        baseline, read = run_baseline(base_url, workdir / "baseline") if with_baseline else (None, None)
        (workdir / "run").mkdir()
        run = run_pipeline(base_url, users, workdir / "run")
    if run.returncode != 0:
        raise RuntimeError(f"the run exited {run.returncode}:\n{run.stdout()[-2000:]}\n{run.stderr_tail()}")
    figures = warehouse_figures(workdir / "run")
    if read is not None and (figures["edges"], figures["profiled"]) != (read["edges"], read["profiled"]):
        raise RuntimeError(f"the run and the baseline read different graphs: {figures} vs {read}")
    peaks, model_peak = phases(run)
    result = {
        "users": users,
        "seconds": run.seconds,
        "transform_seconds": transform_seconds(run),
        "peak_mb": run.peak_mb,
        "phases": peaks,
        "model_peak": model_peak,
        "baseline_seconds": baseline.seconds if baseline else None,
        "baseline_peak_mb": baseline.peak_mb if baseline else None,
        **figures,
    }
    if keep:
        print(f"  (kept {workdir})")
    else:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return result


def report(result: dict) -> None:
    users, seconds = result["users"], result["seconds"]
    print(
        f"{users:,} users: {result['profiled']:,} profiled, {result['edges']:,} follow edges held,"
        f" {result['loads']} load(s)"
    )
    if result["baseline_seconds"]:
        base = result["baseline_seconds"]
        print(
            f"  time ÷ baseline: {seconds / base:.2f} ({seconds:.1f} s / {base:.1f} s; target <= {TARGETS['time']});"
            f" without the transforms ({result['transform_seconds']:.1f} s):"
            f" {(seconds - result['transform_seconds']) / base:.2f}"
        )
    print(
        f"  peak RSS, whole run: {result['peak_mb']:.0f} MB (target <= {TARGETS['peak_mb']} MB)"
        + (f"; baseline {result['baseline_peak_mb']:.0f} MB" if result["baseline_peak_mb"] else "")
    )
    print("  peak RSS by phase: " + ", ".join(f"{phase} {mb:.0f} MB" for phase, mb in result["phases"].items()))
    model, mb = result["model_peak"]
    print(f"  highest during the transforms: {model} ({mb:.0f} MB)")
    print(
        f"  dlt state per load: {result['state_row_bytes']:,} bytes stored in _dlt_pipeline_state"
        f" ({result['state_json_bytes']:,} bytes of state.json)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--users", type=int, nargs="+", default=[10_000, 100_000], help="world sizes; the first is 1x, the last 10x"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline (no time ratio)")
    parser.add_argument("--keep", action="store_true", help="keep the working folders (DuckDB files, logs)")
    parser.add_argument("--baseline-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        base_url, workdir = args.baseline_child
        Path(workdir).mkdir(parents=True)
        baseline_child(base_url, workdir)
        return
    print(f"worlds: {', '.join(f'{n:,}' for n in args.users)} users (seed {args.seed}); {WORKERS} workers each side")
    results = []
    for users in args.users:
        results.append(one_size(users, args.seed, not args.no_baseline, args.keep))
        report(results[-1])
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(
            f"peak RSS at {large['users']:,} ÷ at {small['users']:,} users:"
            f" {large['peak_mb'] / small['peak_mb']:.2f} ({large['peak_mb']:.0f} MB / {small['peak_mb']:.0f} MB;"
            f" target <= {TARGETS['growth']})"
        )


if __name__ == "__main__":
    main()
