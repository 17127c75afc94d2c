"""WSGI entry point for production servers: ``gunicorn survey_service.wsgi:app``."""

from . import create_app

app = create_app()
