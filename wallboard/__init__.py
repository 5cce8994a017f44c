"""Wallboard: a real-time call-center wallboard (Django project)."""

from wallboard.celery import app as celery_app

__all__ = ["celery_app"]
