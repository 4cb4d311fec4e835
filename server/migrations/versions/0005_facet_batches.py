"""facet arrays of batches and of labeled rows in any project

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:05:00.000000

The arrays gain `batch:<project id>/<batch id>`, and `labeledIn:<status>` / `unlabeledIn:<status>` for the project
leaf's `labeled` without a projectId (server.facets.columns): every block holding rows is marked, so the arrays are
rebuilt with them before counts read them alone. No schema change.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MARK_EVERY_BLOCK = (
    "INSERT INTO facetdirty(organization_id, block) SELECT DISTINCT organization_id, seq >> 10 FROM datarow"
    " WHERE true ON CONFLICT DO NOTHING"
)


def upgrade() -> None:
    op.execute(MARK_EVERY_BLOCK)


def downgrade() -> None:
    op.execute(MARK_EVERY_BLOCK)
