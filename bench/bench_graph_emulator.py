"""How many pages per second the Graph mode emulator serves on loopback, against a baseline.

Pages of 25 media (`/v24.0/{ig-user-id}/media?fields=…&limit=25`, walked with `paging.next`)
of the professional accounts of the world, each with its own token, so that every page is
authorised, counted in the usage headers and rendered by the field selection. The baseline is
bench_emulator's static server answering the very same paths with the very same bytes, so the
ratio is the cost of the Graph mode's work over bare HTTP serving. Servers run in their own
processes; the client uses `--clients` keep-alive threads (default 2). Issue #23 asks for at
least 1,000 pages a second on 2 cores.

    .venv/bin/python -m bench.bench_graph_emulator [--users 2000] [--seconds 5] [--clients 2]
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
from urllib.parse import urlsplit

from bench.bench_emulator import _get, _serve_static, arguments, report

ACCOUNTS = 20  # the professional accounts with the most media
FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"


def _serve_graph(users: int, ready: mp.Queue, stop: mp.Event) -> None:
    from emulator import Emulator, World, WorldConfig

    world = World(WorldConfig(seed=42, users=users, media_per_user=40))
    # no usage limit: the benchmark measures serving, not throttling
    with Emulator(world, api="graph", rate_limit=10**9) as emulator:
        model = emulator.graph.model
        professional = [i for i in range(world.user_count()) if model.is_professional(i)]
        busiest = sorted(professional, key=lambda i: -model.user(i)["media_count"])[:ACCOUNTS]
        tokens = [
            (model.user_id(i), emulator.issue_token({"user_id": model.user_id(i)})["access_token"]) for i in busiest
        ]
        ready.put((emulator.base_url, tokens))
        stop.wait()


def _walk(port: int, first_path: str) -> dict[str, bytes]:
    """Every page of a list, following `paging.next`: path → page bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    pages, path = {}, first_path
    while path:
        body = _get(connection, path)
        pages[path] = body
        next_url = json.loads(body).get("paging", {}).get("next")
        path = None if not next_url else urlsplit(next_url).path + "?" + urlsplit(next_url).query
    connection.close()
    return pages


def main() -> None:
    """Run the benchmark and print the figures."""
    args = arguments(__doc__)

    ready: mp.Queue = mp.Queue()
    stop = mp.Event()
    graph_process = mp.Process(target=_serve_graph, args=(args.users, ready, stop), daemon=True)
    graph_process.start()
    base_url, tokens = ready.get(timeout=120)
    port = urlsplit(base_url).port
    pages: dict[str, bytes] = {}
    for user_id, token in tokens:
        pages.update(_walk(port, f"/v24.0/{user_id}/media?access_token={token}&fields={FIELDS}&limit=25"))
    static_process = mp.Process(target=_serve_static, args=(pages, ready, stop), daemon=True)
    static_process.start()
    static_port = ready.get(timeout=60)

    print(
        f"world: {args.users} users; client: {args.clients} threads, keep-alive http.client, "
        f"{args.seconds:.0f} s per figure; servers in their own processes"
    )
    report("25-media pages", pages, b'"next"', (port, static_port), args.seconds, args.clients)
    stop.set()
    graph_process.join(timeout=10)
    static_process.join(timeout=10)


if __name__ == "__main__":
    main()
