"""Alembic configured in code (no alembic.ini): scripts live in this package, so migrations run from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """An Alembic Config for `database_url`; `env.py` reads the URL and the models' metadata from it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config
