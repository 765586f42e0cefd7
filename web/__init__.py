"""The web layer: FastAPI app factory, JSON API, HTML pages, templates and static assets."""

from web.app import create_app

__all__ = ["create_app"]
