"""`RateBudget`: the share of the hourly allowance one run may spend, without HTTP."""

from __future__ import annotations

import threading
import time

import pytest
from requests.structures import CaseInsensitiveDict

from sources.common.budget import RateBudget
from sources.common.errors import BudgetExhausted


def headers(limit: int | str, remaining: int | str) -> dict[str, str]:
    return {"X-Ratelimit-Limit": str(limit), "X-Ratelimit-Remaining": str(remaining)}


@pytest.mark.parametrize("share", [0.0, -0.5, 1.0001, 2.0, float("nan")])
def test_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="budget_share"):
        RateBudget(share)


@pytest.mark.parametrize("share", [1e-9, 0.5, 1.0])
def test_share_inside_zero_to_one_is_accepted(share: float) -> None:
    budget = RateBudget(share)
    assert (budget.share, budget.limit, budget.remaining, budget.exhausted) == (share, None, None, False)


def wait_until_waiting(budget: RateBudget, waiters: int, through: threading.Event | None = None) -> None:
    """Block until `waiters` threads wait inside `acquire` (the budget's condition counts them),
    or until `through` is set: an event to wait on instead of a guess at thread scheduling."""
    deadline = time.monotonic() + 60
    while through is None or not through.is_set():
        with budget._lock:
            if len(budget._lock._waiters) >= waiters:
                return
        assert time.monotonic() < deadline, f"no {waiters} requests waiting after 60 s"
        time.sleep(0.001)


def test_unknown_allowance_lets_one_request_at_a_time_through() -> None:
    budget = RateBudget(0.5)
    budget.acquire()  # the first request: nothing known yet
    second_in = threading.Event()

    def second() -> None:
        budget.acquire()
        second_in.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    wait_until_waiting(budget, 1, through=second_in)
    assert not second_in.is_set(), "a second request went out before the allowance was known"
    budget.release(headers(100, 99))
    assert second_in.wait(60), "the first answer did not let the waiting request through"
    thread.join(1.0)
    assert (budget.limit, budget.remaining) == (100, 99)


def test_an_answer_without_figures_lets_the_next_single_request_through() -> None:
    budget = RateBudget(1.0)
    budget.acquire()
    budget.release(None)  # connection failed: still unknown
    budget.acquire()  # does not wait for ever
    budget.release({})
    budget.acquire()
    assert budget.remaining is None and budget._in_flight == 1


def test_reservations_stop_at_the_reserve() -> None:
    budget = RateBudget(0.5)
    budget.acquire()
    budget.release(headers(100, 60))  # reserve: 50; 10 more may go out
    for _ in range(10):
        budget.acquire()
    with pytest.raises(BudgetExhausted):
        budget.acquire()
    assert budget.exhausted
    for _ in range(10):
        budget.release(headers(100, 70))  # higher figures (older answers) do not raise `remaining`
    assert budget.remaining == 60
    with pytest.raises(BudgetExhausted):
        budget.acquire()  # exhausted stays exhausted


def test_parallel_workers_never_overshoot_the_reserve() -> None:
    limit, share = 200, 0.25  # reserve: 150 of 200
    budget = RateBudget(share)
    server = {"remaining": limit, "served": 0}
    server_lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        while True:
            try:
                budget.acquire()
            except BudgetExhausted:
                return
            time.sleep(0)  # let the others interleave while this request is "in flight"
            with server_lock:
                server["remaining"] -= 1
                server["served"] += 1
                answer = headers(limit, server["remaining"])
            time.sleep(0)
            budget.release(answer)  # answers come back in any order

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5.0)
    assert not any(thread.is_alive() for thread in threads)
    assert server["remaining"] >= limit * (1 - share), f"overshot the reserve: {server}"
    assert server["served"] >= limit * share - 8, f"stopped far too early: {server}"
    assert budget._in_flight == 0 and budget.exhausted


def test_out_of_order_answers_the_lowest_remaining_wins() -> None:
    budget = RateBudget(1.0)
    for remaining in (40, 45, 38, 50, 39):
        budget.acquire()
        budget.release(headers(100, remaining))
    assert (budget.limit, budget.remaining) == (100, 38)


def test_run_out_refuses_new_requests_and_wakes_waiting_ones() -> None:
    budget = RateBudget(1.0)
    budget.acquire()  # allowance unknown: the next one waits
    outcome: list[BaseException | None] = []

    def waiting() -> None:
        try:
            budget.acquire()
            outcome.append(None)
        except BudgetExhausted as error:
            outcome.append(error)

    thread = threading.Thread(target=waiting, daemon=True)
    thread.start()
    wait_until_waiting(budget, 1)  # run out while it waits, not before it arrives
    budget.run_out()
    thread.join(60)
    assert not thread.is_alive() and isinstance(outcome[0], BudgetExhausted)
    with pytest.raises(BudgetExhausted):
        budget.acquire()
    budget.release(headers(5000, 4999))  # the request in flight still returns its reservation
    assert budget.exhausted and budget._in_flight == 0


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {},
        {"X-Ratelimit-Limit": "100"},
        {"X-Ratelimit-Remaining": "10"},
        {"X-Ratelimit-Limit": "abc", "X-Ratelimit-Remaining": "10"},
        {"X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": "ten"},
        {"X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": "9.5"},
        {"X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": ""},
        {"X-Ratelimit-Limit": None, "X-Ratelimit-Remaining": None},
    ],
)
def test_missing_or_garbage_figures_change_nothing(answer: dict[str, str] | None) -> None:
    budget = RateBudget(0.5)
    budget.acquire()
    budget.release(headers(100, 60))
    budget.acquire()
    budget.release(answer)
    assert (budget.limit, budget.remaining, budget.exhausted, budget._in_flight) == (100, 60, False, 0)


def test_figures_are_read_from_case_insensitive_response_headers() -> None:
    budget = RateBudget(0.5)
    budget.acquire()
    budget.release(CaseInsensitiveDict({"x-ratelimit-limit": "5000", "x-ratelimit-remaining": " 4990 "}))
    assert (budget.limit, budget.remaining) == (5000, 4990)
