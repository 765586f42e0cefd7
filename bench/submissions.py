"""Submission load bench: the real server under 64 concurrent clients, then a crash.

For SQLite (a temporary file) and PostgreSQL (a temporary database created on
127.0.0.1:5432 as user postgres, dropped at the end), this script

1. migrates the database, publishes the built-in survey, creates a staff API token;
2. starts `uvicorn web:create_app --factory --workers N` on a free port;
3. measures GET /healthz (the trivial endpoint) and then
   POST /api/v1/surveys/{slug}/responses (a complete, valid submission on someone's
   behalf, idempotent by `external_id`) from 64 concurrent keep-alive clients,
   spread over a few client processes so the load generator is not the bottleneck;
4. checks that every acknowledged (201) submission is in the database;
5. crash test: SIGKILLs the whole server while submissions are in flight, restarts it,
   and checks again that no acknowledged submission was lost.

    .venv/bin/python bench/submissions.py [--seconds 8] [--clients 64] [--workers 2]
                                          [--only sqlite|postgres]

Targets: submissions >= 30% of the trivial endpoint's throughput, p99 < 250 ms at 64
concurrent clients, zero acknowledged submissions lost.  p99 is shown back to back
(saturated: the clients queue) and at paces of 50, 70 and 85 % of the maximum.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _pgtemp import temporary_database  # noqa: E402  (bench/ is the script's folder)

SLUG = "diaspora_mapping"
COUNTRIES = ["NL", "GB", "DE", "FR", "US", "CA", "BE", "IT"]
ORIGINS = ["GH", "GY", "SN", "NG", "BA", "RS", "MK", "AL"]
SKILLS = ["nursing care", "triage", "teaching", "accounting", "python", "irrigation"]


# --------------------------------------------------------------------------- setup


def prepare(url: str) -> str:
    """Migrate, publish the built-in survey, and return a staff API token."""
    from diaspora.accounts import service as accounts
    from diaspora.db import make_engine, metadata, session_scope
    from diaspora.migrate import upgrade
    from diaspora.responses.service import import_builtin

    engine = make_engine(url)
    upgrade(engine)
    metadata().create_all(engine)  # adds nothing when the migrations match the models
    with session_scope(engine) as session:
        import_builtin(session=session)
        staff = accounts.create_user(
            session=session,
            actor=None,
            email="bench-staff@example.org",
            password="bench-password-" + uuid.uuid4().hex,
            role="staff",
        )
        token = accounts.issue_token(session=session, user=staff, name="bench")
    engine.dispose()
    return token


def stored(url: str, external_ids: list[str]) -> int:
    """How many of these external ids are stored as responses."""
    from sqlalchemy import text

    from diaspora.db import make_engine

    engine = make_engine(url)
    found = 0
    with engine.connect() as conn:
        for start in range(0, len(external_ids), 500):
            chunk = external_ids[start : start + 500]
            params = {f"p{i}": value for i, value in enumerate(chunk)}
            marks = ", ".join(f":p{i}" for i in range(len(chunk)))
            found += conn.execute(
                text(
                    "SELECT count(*) FROM response WHERE source = 'api' "
                    f"AND external_id IN ({marks})"
                ),
                params,
            ).scalar_one()
    engine.dispose()
    return int(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DIASPORA_ENVIRONMENT": "dev",
        "DIASPORA_SECRET_KEY": "bench-secret-" + "z" * 40,
        "DIASPORA_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    if url.startswith("sqlite"):
        env.pop("DATABASE_URL", None)
        env["DIASPORA_SQLITE_PATH"] = url.removeprefix("sqlite:///")
    else:
        env["DATABASE_URL"] = url
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "web:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    # A session of its own, so the crash test can kill the master and every worker at once.
    proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                if b"200 OK" in s.recv(256):
                    time.sleep(0.5 if workers > 1 else 0)  # let every worker boot
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def kill_server(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --------------------------------------------------------------------------- load


def answers(rng: random.Random) -> dict[str, Any]:
    """A valid, varied submission to the built-in survey."""
    birth = rng.randint(1955, 2000)
    willing = rng.random() < 0.7
    data: dict[str, Any] = {
        "consent_mapping": "yes",
        "consent_matching": rng.choice(["yes", "no"]),
        "consent_contact": "yes",
        "first_name": f"Bench{rng.randint(1, 10**6)}",
        "last_name": "Example",
        "email": f"bench{rng.randint(1, 10**9)}@example.org",
        "residence_country": rng.choice(COUNTRIES),
        "residence_city": "Somewhere",
        "origin_country": rng.choice(ORIGINS),
        "gender": rng.choice(["female", "male"]),
        "birth_year": birth,
        "education_level": str(rng.randint(3, 8)),
        "occupation": "nurse",
        "sector": rng.choice(["health", "education", "ict"]),
        "years_experience": rng.randint(0, min(30, 2026 - birth - 16)),
        "skills": rng.sample(SKILLS, 2),
        "languages": [{"language_code": "en", "language_level": "C1"}],
        "willing": "yes" if willing else "no",
        "priorities": ["health"],
    }
    if willing:
        data["modes"] = ["virtual"]
        data["preferred_duration"] = "months_1_3"
    return data


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    acknowledged: list[str] = field(default_factory=list)


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes]:
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _client(
    kind: str,
    port: int,
    token: str,
    deadline: float,
    seed: int,
    tally: Tally,
    interval: float = 0.0,
) -> None:
    """Send requests back to back, or one every `interval` seconds (paced) when given."""
    rng = random.Random(seed)
    reader = writer = None
    next_send = time.monotonic() + rng.random() * interval
    while time.monotonic() < deadline:
        if interval:
            delay = next_send - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            next_send += interval
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            external_id = ""
            if kind == "healthz":
                raw = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
            else:
                external_id = uuid.UUID(int=rng.getrandbits(128)).hex
                body = json.dumps({"answers": answers(rng), "external_id": external_id}).encode()
                raw = (
                    f"POST /api/v1/surveys/{SLUG}/responses HTTP/1.1\r\nHost: bench\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
            started = time.perf_counter()
            assert reader is not None
            status, _ = await _request(reader, writer, raw)
            tally.latencies.append(time.perf_counter() - started)
            if status in (200, 201):
                tally.ok += 1
                if external_id:
                    tally.acknowledged.append(external_id)
            else:
                tally.errors += 1
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


def _client_process(
    kind: str,
    port: int,
    token: str,
    clients: int,
    seconds: float,
    seed: int,
    interval: float,
    out: Any,
) -> None:
    tally = Tally()

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _client(kind, port, token, deadline, seed * 1000 + i, tally, interval)
                for i in range(clients)
            )
        )

    asyncio.run(main())
    out.send((tally.latencies, tally.ok, tally.errors, tally.acknowledged))
    out.close()


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    acknowledged: list[str]
    rate: float = 0.0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)] * 1000


def run_load(
    kind: str,
    port: int,
    token: str,
    *,
    clients: int,
    seconds: float,
    processes: int,
    seed: int,
    during: Any = None,
    rate: float = 0.0,
) -> Phase:
    """`clients` concurrent keep-alive clients over `processes` processes for `seconds`;
    back to back, or together `rate` requests per second (each client paced)."""
    interval = clients / rate if rate else 0.0
    ctx = mp.get_context("fork")
    pipes, procs = [], []
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    started = time.monotonic()
    for index, count in enumerate(per):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_client_process,
            args=(kind, port, token, count, seconds, seed + index, interval, child),
        )
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    if during is not None:
        during()
    latencies: list[float] = []
    ok = errors = 0
    acknowledged: list[str] = []
    for parent, proc in zip(pipes, procs, strict=True):
        if not parent.poll(seconds + 60):
            proc.kill()
            raise RuntimeError(f"a client process died (exit code {proc.exitcode})")
        lat, good, bad, ack = parent.recv()
        proc.join()
        latencies += lat
        ok += good
        errors += bad
        acknowledged += ack
    elapsed = time.monotonic() - started
    return Phase(kind, ok, errors, elapsed, latencies, acknowledged, rate)


# --------------------------------------------------------------------------- one backend


@dataclass
class Report:
    backend: str
    workers: int
    trivial: Phase
    submissions: Phase
    paced: list[Phase]
    missing: int
    crash_acknowledged: int
    crash_missing: int
    restarted: bool


def bench_backend(name: str, url: str, args: argparse.Namespace) -> Report:
    # SQLite has one writer: a second worker process only adds lock contention.
    workers = args.workers or (1 if url.startswith("sqlite") else 2)
    token = prepare(url)
    port = free_port()
    server = start_server(url, port, workers)
    try:
        # warm up (first requests compile templates, plans and connections)
        run_load("submit", port, token, clients=8, seconds=1.5, processes=1, seed=1)

        # Every measured phase: the same 64 clients over the same client processes.
        def phase(kind: str, seed: int, **extra: Any) -> Phase:
            return run_load(
                kind,
                port,
                token,
                clients=args.clients,
                seconds=args.seconds,
                processes=args.client_processes,
                seed=seed,
                **extra,
            )

        trivial = phase("healthz", 100)
        submissions = phase("submit", 200)
        # The same 64 clients posting at paces the server sustains (latency without a
        # queue): half, 70 % and 85 % of the back-to-back maximum, or --rate.
        paces = (
            [args.rate]
            if args.rate
            else [
                max(10.0, (submissions.throughput * share) // 10 * 10) for share in (0.5, 0.7, 0.85)
            ]
        )
        paced = [
            phase("submit", 250 + 10 * index, rate=rate)  # client processes add their index
            for index, rate in enumerate(paces)
        ]
        acknowledged = [*submissions.acknowledged, *(a for p in paced for a in p.acknowledged)]
        missing = len(acknowledged) - stored(url, acknowledged)

        def crash() -> None:
            time.sleep(args.seconds / 2)
            os.killpg(server.pid, signal.SIGKILL)

        crash_phase = phase("submit", 300, during=crash)
        server.wait()
    finally:
        kill_server(server, signal.SIGKILL)
    server = start_server(url, port, workers)
    try:
        after = run_load("submit", port, token, clients=4, seconds=1, processes=1, seed=400)
        restarted = len(after.acknowledged) > 0
    finally:
        kill_server(server)
    crash_missing = len(crash_phase.acknowledged) - stored(url, crash_phase.acknowledged)
    return Report(
        name,
        workers,
        trivial,
        submissions,
        paced,
        missing,
        len(crash_phase.acknowledged),
        crash_missing,
        restarted,
    )


# --------------------------------------------------------------------------- report


def table(reports: list[Report], args: argparse.Namespace) -> str:
    lines = [
        f"{args.clients} concurrent clients, {args.seconds:g} s per phase, "
        f"{os.cpu_count()} CPUs shared by the server, the database and the clients",
        "",
        f"{'backend':<18} {'phase':<36} {'ok':>6} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7}",
        "-" * 92,
    ]
    for r in reports:
        backend = f"{r.backend} ({r.workers}w)"
        for label, phase in (
            ("GET /healthz, back to back", r.trivial),
            ("POST responses, back to back", r.submissions),
            *((f"POST responses, paced {p.rate:g}/s", p) for p in r.paced),
        ):
            lines.append(
                f"{backend:<18} {label:<36} {phase.requests:>6} {phase.errors:>6} "
                f"{phase.throughput:>7.0f} {phase.percentile(0.5):>7.1f} "
                f"{phase.percentile(0.99):>7.1f}"
            )
    lines += [
        "",
        f"{'backend':<18} {'POST/healthz':>13} {'p99<250 saturated':>18} "
        f"{'at p99<250':>11} {'acked lost':>11} {'crash: acked':>13} {'lost':>5} {'restart':>8}",
        "-" * 104,
    ]
    for r in reports:
        ratio = r.submissions.throughput / r.trivial.throughput if r.trivial.throughput else 0
        within = [p.throughput for p in r.paced if p.percentile(0.99) < 250]
        lines.append(
            f"{r.backend + f' ({r.workers}w)':<18} {ratio:>13.0%} "
            f"{'yes' if r.submissions.percentile(0.99) < 250 else 'no':>18} "
            f"{(f'{max(within):.0f}/s' if within else 'none'):>11} "
            f"{r.missing:>11} {r.crash_acknowledged:>13} {r.crash_missing:>5} "
            f"{'yes' if r.restarted else 'NO':>8}"
        )
    lines += [
        "",
        "POST/healthz: back-to-back throughputs; at p99<250: the highest paced rate whose",
        "p99 stayed under 250 ms with the 64 clients (back to back, 64 clients queue: the",
        "mean wait is 64 / throughput, for /healthz as for submissions).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--workers", type=int, default=0, help="uvicorn workers (default: SQLite 1, PostgreSQL 2)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="one paced phase at this rate (default: 50, 70 and 85 %% of the maximum)",
    )
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    reports = []
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as folder:
            reports.append(bench_backend("SQLite", f"sqlite:///{folder}/bench.db", args))
    if args.only != "sqlite":
        with temporary_database("diaspora_bench") as url:
            if url is not None:
                reports.append(bench_backend("PostgreSQL", url, args))
    print(table(reports, args))
    failed = any(r.missing or r.crash_missing or not r.restarted for r in reports)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
