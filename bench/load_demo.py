"""Demo pages under concurrent users: a bounded load on a server on this machine (issue 6).

    .venv/bin/opslens demo --data-dir /tmp/opslens-load --port 8123 &   # once it is up:
    .venv/bin/python bench/load_demo.py --base http://127.0.0.1:8123 --users 20 --rounds 10

Each simulated user logs in with its own session (the demo logins, password ``demo``) and
requests the pages below ``--rounds`` times, one after the other; the users run at the same time
in threads. ``--think S`` makes each user read a page for a random 0.5·S–1.5·S seconds before the
next one, as people do (``--think 0``, the default, requests without a pause: a stress test,
20 users then being 20 requests always in flight). Every request has a timeout, the number of
requests is fixed, and only the loopback server given by ``--base`` is contacted. Prints the
latency percentiles per page and overall (p50, p95, max) and the error count, as a Markdown table.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict

PAGES = [
    "/",
    "/monitor/",
    "/datasets/1/",
    "/datasets/1/compare/?a_until=2024-06-30&b_since=2024-07-01",
    "/projects/1/",
    "/projects/1/gantt/",
    "/quality/",
    "/kpis/",
    "/costs/",
    "/processes/",
]
USERS = [
    "demo",
    "analyst",
    "viewer",
    "caigou",
    "caiwu",
    "shichang",
    "yanfa",
    "shengchan",
    "xiaoshou",
    "wuliu",
    "kefu",
    "shouhou",
    "xingzheng",
    "zhijian",
    "jishu",
]


def _loopback(base: str) -> None:
    host = urllib.parse.urlsplit(base).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        sys.exit(f"refusing to load {host}: only a server on this machine (127.0.0.0/8)")


def _opener() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.ProxyHandler({})
    )


def _login(opener: urllib.request.OpenerDirector, base: str, user: str) -> None:
    page = opener.open(base + "/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    data = urllib.parse.urlencode(
        {"username": user, "password": "demo", "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(base + "/login/", data=data, headers={"Referer": base})
    opener.open(request, timeout=30).read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8123")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a user reads a page (0: none)"
    )
    args = parser.parse_args()
    _loopback(args.base)

    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(args.users)

    def user(i: int) -> None:
        pause = random.Random(i)
        opener = _opener()
        _login(opener, args.base, USERS[i % len(USERS)])
        for page in PAGES * args.warmup:
            opener.open(args.base + page, timeout=60).read()
        start.wait()
        for _round in range(args.rounds):
            for page in PAGES:
                t = time.perf_counter()
                try:
                    opener.open(args.base + page, timeout=60).read()
                except Exception as exc:  # a failed request is counted, not fatal
                    with lock:
                        errors.append(f"{page}: {exc}")
                    continue
                with lock:
                    times[page].append(time.perf_counter() - t)
                if args.think > 0:
                    time.sleep(args.think * pause.uniform(0.5, 1.5))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    everything = [v for vs in times.values() for v in vs]
    print(
        f"\n{args.users} users × {args.rounds} rounds × {len(PAGES)} pages = "
        f"{len(everything)} requests in {wall:.1f} s ({len(everything) / wall:.1f}/s), "
        f"think {args.think:g} s, {len(errors)} errors\n"
    )
    print("| page | p50 | p95 | max |\n|---|---:|---:|---:|")
    for page in PAGES:
        vs = times[page]
        if vs:
            print(
                f"| `{page}` | {statistics.median(vs) * 1000:.0f} ms | {pct(vs, 0.95):.0f} ms "
                f"| {max(vs) * 1000:.0f} ms |"
            )
    print(
        f"| **all** | {statistics.median(everything) * 1000:.0f} ms | "
        f"{pct(everything, 0.95):.0f} ms | {max(everything) * 1000:.0f} ms |"
    )
    for e in errors[:10]:
        print("error:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
