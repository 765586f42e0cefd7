"""A real server on a free port with demo data, and a real Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "browser-demo-password"

pytestmark = pytest.mark.browser
# The live server's engine, for tests that deliver its outbox (tests.factories.deliver_mail).
LIVE: dict[str, object] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    import uvicorn

    from diaspora.config import Settings
    from diaspora.db import make_engine, session_scope
    from diaspora.migrate import upgrade
    from sample_data.demo import load_demo
    from web import create_app

    db = Path(tmp_path_factory.mktemp("browser")) / "demo.db"
    port = _free_port()
    settings = Settings(
        environment="test",
        sqlite_path=db,
        database_url="",
        secret_key="browser-test-secret-" + "y" * 32,
        base_url=f"http://127.0.0.1:{port}",
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        load_demo(session=session, password=PASSWORD, n_members=60)
    app = create_app(settings, engine=engine)
    LIVE["engine"] = engine
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)
    engine.dispose()


@pytest.fixture(scope="session")
def browser(live_server: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


def sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
