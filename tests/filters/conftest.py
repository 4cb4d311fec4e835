"""The filter catalog, built in the test's database (tests/utils/fixtures.py)."""

from tests.utils.fixtures import catalog

__all__ = ["catalog"]
