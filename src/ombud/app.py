"""Composition root of the web process: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ombud.common import logs
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.security.service import KnownCustomers
from ombud.storage.blobs import LocalBlobStore
from ombud.web import problems
from ombud.web.middleware import BodyLimit, RequestContext
from ombud.web.routes import (
    api,
    api_resolution,
    chat,
    console,
    decisions_console,
    decisions_portal,
    intake_console,
    ops,
    portal,
    survey,
    triage_console,
    webhooks,
)
from ombud.worker import embedded_runner

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings) -> FastAPI:
    """The ASGI app for ``settings``; runs jobs in-process when ``settings.jobs_inline``."""
    engine = make_engine(settings)
    sessions = session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = embedded_runner(settings, sessions) if settings.jobs_inline else None
        if runner:
            runner.start()
        try:
            yield
        finally:
            if runner:
                runner.stop()
            await chat.close_hub(app)
            engine.dispose()

    app = FastAPI(
        title="Ombud", version="0.1.0", lifespan=lifespan,
        description="Complaint handling for cryptocurrency exchanges.",
        docs_url="/api/docs", openapi_url="/api/v1/openapi.json", redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.blobs = LocalBlobStore(settings.blob_dir)
    app.state.known_customers = KnownCustomers()
    problems.install(app)
    for router in (ops.router, api.router, api_resolution.router, chat.router, console.router,
                   decisions_console.router, intake_console.router, portal.router,
                   decisions_portal.router, survey.router, triage_console.router,
                   webhooks.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, default=settings.max_json_bytes,
                       uploads=settings.max_attachment_bytes * 4 + 1024 * 1024)
    app.add_middleware(RequestContext)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment."""
    settings = Settings()
    logs.configure(settings.log_level)
    return create_app(settings)
