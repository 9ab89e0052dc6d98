"""Scheduled jobs: APScheduler wiring around ``aria.service.maintenance``."""
