"""The HTTP API (FastAPI), a face over ``aria.service``."""
