"""How many pages per second the emulator serves on loopback, against a baseline.

Two kinds of pages: 33-media pages (`/users/self/feed?count=33`, walked with next_url) and
50-user follow pages (`/users/{id}/followed-by?count=50` of the most followed users).
Baseline, measured in the same run: a trivial stdlib `ThreadingHTTPServer` that answers the
very same paths with the very same bytes from a dict (HTTP/1.1 keep-alive, no API logic),
so the ratio is the cost of the emulator's work over bare HTTP serving.

Each server runs in its own process (the client must not share its GIL); the client uses
`--clients` threads (default 2), each with its own keep-alive `http.client` connection,
cycling over the recorded page URLs for `--seconds` per measurement.

    .venv/bin/python -m bench.bench_emulator [--users 2000] [--seconds 5] [--clients 2]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FOLLOW_LISTS = 20  # followed-by lists of the 20 most followed users


def _serve_emulator(users: int, ready: mp.Queue, stop: mp.Event) -> None:
    from emulator import Emulator, World, WorldConfig

    world = World(WorldConfig(seed=42, users=users))
    # no rate limit: the benchmark measures serving, not throttling
    with Emulator(world, follows_any_user=True, rate_limit=10**9) as emulator:
        followed = sorted(world.user_ids(), key=lambda u: -len(world.followed_by(u)))
        public = [u for u in followed if not world.is_private(u)][:FOLLOW_LISTS]
        ready.put((emulator.base_url, emulator.access_token, public))
        stop.wait()


class _StaticHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pages: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        body = self.pages[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _serve_static(pages: dict[str, bytes], ready: mp.Queue, stop: mp.Event) -> None:
    _StaticHandler.pages = pages
    _StaticHandler.disable_nagle_algorithm = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StaticHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.put(server.server_address[1])
    stop.wait()
    server.shutdown()


def _get(connection: http.client.HTTPConnection, path: str) -> bytes:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return body


def _walk(port: int, first_path: str) -> dict[str, bytes]:
    """Every page of a list, following next_url: path → page bytes."""
    import json

    connection = http.client.HTTPConnection("127.0.0.1", port)
    pages, path = {}, first_path
    while path:
        body = _get(connection, path)
        pages[path] = body
        next_url = json.loads(body)["pagination"].get("next_url")
        path = None if not next_url else urlsplit(next_url).path + "?" + urlsplit(next_url).query
    connection.close()
    return pages


def _measure(port: int, paths: list[str], seconds: float, clients: int) -> float:
    """Pages per second served to `clients` keep-alive threads cycling over `paths`."""
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        index = slot
        while time.perf_counter() < deadline:
            _get(connection, paths[index % len(paths)])
            index += clients
            counts[slot] += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def arguments(doc: str) -> argparse.Namespace:
    """The flags both emulator benchmarks take (`--users`, `--seconds`, `--clients`)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2)
    return parser.parse_args()


def report(
    name: str, pages: dict[str, bytes], next_marker: bytes, ports: tuple[int, int], seconds: float, clients: int
) -> float:
    """Measure the emulator (`ports[0]`) and the static baseline (`ports[1]`) on `pages`,
    print the figures and return the emulator's pages per second."""
    paths = list(pages)
    full = sum(1 for body in pages.values() if next_marker in body)
    size = sum(map(len, pages.values())) / len(pages)
    emulated = _measure(ports[0], paths, seconds, clients)
    baseline = _measure(ports[1], paths, seconds, clients)
    print(f"{name}: {len(paths)} distinct pages ({full} full), {size / 1024:.1f} KiB on average")
    print(f"  emulator:           {emulated:8.0f} pages/s")
    print(f"  static baseline:    {baseline:8.0f} pages/s")
    print(f"  emulator/baseline:  {emulated / baseline:8.2f}")
    return emulated


def main() -> None:
    """Run the benchmark and print the figures."""
    args = arguments(__doc__)

    ready: mp.Queue = mp.Queue()
    stop = mp.Event()
    emulator_process = mp.Process(target=_serve_emulator, args=(args.users, ready, stop), daemon=True)
    emulator_process.start()
    base_url, token, follow_users = ready.get(timeout=120)
    port = urlsplit(base_url).port
    media_pages = _walk(port, f"/v1/users/self/feed?access_token={token}&count=33")
    follow_pages: dict[str, bytes] = {}
    for uid in follow_users:
        follow_pages.update(_walk(port, f"/v1/users/{uid}/followed-by?access_token={token}&count=50"))

    static_process = mp.Process(target=_serve_static, args=({**media_pages, **follow_pages}, ready, stop), daemon=True)
    static_process.start()
    static_port = ready.get(timeout=60)

    print(
        f"world: {args.users} users; client: {args.clients} threads, keep-alive http.client, "
        f"{args.seconds:.0f} s per figure; servers in their own processes"
    )
    for name, pages in (("33-media pages", media_pages), ("50-user follow pages", follow_pages)):
        report(name, pages, b'"next_url"', (port, static_port), args.seconds, args.clients)
    stop.set()
    emulator_process.join(timeout=10)
    static_process.join(timeout=10)


if __name__ == "__main__":
    main()
