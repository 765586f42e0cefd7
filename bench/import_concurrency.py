"""Does a large import leave the server answering everyone else?

1. loads the demo into a fresh SQLite file (`diaspora demo`'s data: 320 members, the
   built-in survey published, staff, institutions);
2. starts `uvicorn web:create_app --factory` (one worker) on a free port;
3. posts a ~9.8 MB Kobo CSV export of the built-in survey (bench/submissions_import.py's
   generator, just under the 10 MB upload limit) to `/staff/surveys/<slug>/import` as
   staff, the way the import page does;
4. meanwhile, every 100 ms, GETs `/api/v1/me` (bearer token), `/healthz` and a staff page
   (`/staff/surveys`, session cookie) in turn, and times each;
5. prints the import's duration and the p50 / p99 / max of the GETs sent while it ran.
   Target: p99 under 500 ms (exit status 1 otherwise).

    .venv/bin/python bench/import_concurrency.py [--megabytes 9.8] [--keep]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from submissions import free_port, kill_server, start_server  # noqa: E402
from submissions_import import make_csv  # noqa: E402

TARGET_MS = 500.0


def prepare(url: str) -> tuple[str, str]:
    """The demo database; returns (staff API token, staff session cookie)."""
    from diaspora.accounts import service as accounts
    from diaspora.accounts.models import User
    from diaspora.accounts.passwords import use_fast_hashing
    from diaspora.db import make_engine, session_scope
    from diaspora.migrate import upgrade
    from sample_data.demo import load_demo

    use_fast_hashing()
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        load_demo(session=session, password="bench-" + secrets.token_urlsafe(8))
    with session_scope(engine) as session:
        from sqlmodel import select

        staff = session.exec(select(User).where(User.email == "staff@demo.example")).one()
        token = accounts.issue_token(session=session, user=staff, name="bench")
        cookie = accounts.start_session(session=session, user=staff)
    engine.dispose()
    return token, cookie


def sized_csv(megabytes: float) -> bytes:
    """A Kobo CSV export of about `megabytes` MB (1 % bad rows)."""
    probe = make_csv(1000, 0.01).encode()
    rows = int(1000 * megabytes * 1024 * 1024 / len(probe))
    data = make_csv(rows, 0.01).encode()
    while len(data) > megabytes * 1024 * 1024:
        rows = int(rows * 0.98)
        data = make_csv(rows, 0.01).encode()
    return data


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=9.8)
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="import-concurrency-"))
    url = f"sqlite:///{folder / 'demo.db'}"
    started = time.monotonic()
    token, cookie = prepare(url)
    data = sized_csv(args.megabytes)
    rows = data.count(b"\n") - 1
    print(
        f"demo database ready, CSV {len(data) / 1024 / 1024:.1f} MB "
        f"({rows:,} rows), {time.monotonic() - started:.1f}s"
    )

    port = free_port()
    proc = start_server(url, port, workers=1)
    base = f"http://127.0.0.1:{port}"
    slug = "diaspora_mapping"
    try:
        staff = httpx.Client(base_url=base, cookies={"diaspora_session": cookie}, timeout=300)
        page = staff.get(f"/staff/surveys/{slug}/import").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

        done = threading.Event()
        outcome: dict[str, object] = {}

        def run_import() -> None:
            begin = time.monotonic()
            answer = staff.post(
                f"/staff/surveys/{slug}/import",
                data={"csrf_token": csrf, "source": "kobo"},
                files={"file": ("kobo.csv", data, "text/csv")},
            )
            outcome.update(status=answer.status_code, seconds=time.monotonic() - begin)
            done.set()

        probes = [
            ("/api/v1/me", {"Authorization": f"Bearer {token}"}, None),
            ("/healthz", {}, None),
            ("/staff/surveys", {}, {"diaspora_session": cookie}),
        ]
        timings: dict[str, list[float]] = {path: [] for path, _, _ in probes}
        failures = 0
        with httpx.Client(base_url=base, timeout=60) as other:
            for path, headers, cookies in probes:  # warm up
                other.get(path, headers=headers, cookies=cookies)
            worker = threading.Thread(target=run_import)
            worker.start()
            index = 0
            while not done.is_set():
                path, headers, cookies = probes[index % len(probes)]
                index += 1
                begin = time.monotonic()
                answer = other.get(path, headers=headers, cookies=cookies)
                timings[path].append((time.monotonic() - begin) * 1000)
                failures += answer.status_code != 200
                time.sleep(max(0.0, 0.1 - (time.monotonic() - begin)))
            worker.join()
    finally:
        kill_server(proc)
        if not args.keep:
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()

    every = [ms for values in timings.values() for ms in values]
    print(f"import: HTTP {outcome['status']} in {outcome['seconds']:.1f}s")
    print(f"{'GET':18} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for path, values in [*timings.items(), ("all", every)]:
        if values:
            print(
                f"{path:18} {len(values):5d} {percentile(values, 0.5):8.1f} "
                f"{percentile(values, 0.99):8.1f} {max(values):8.1f}"
            )
    p99 = percentile(every, 0.99) if every else float("inf")
    met = p99 < TARGET_MS and failures == 0 and outcome["status"] == 200
    print(
        f"p99 of concurrent GETs during the import: {p99:.0f} ms "
        f"(target < {TARGET_MS:.0f} ms, {failures} failed): {'met' if met else 'NOT met'}"
    )
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
