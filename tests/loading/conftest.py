"""The filter catalog (120 rows with projects, labels, model runs and metadata) for loading tests."""

from tests.utils.fixtures import catalog

__all__ = ["catalog"]
