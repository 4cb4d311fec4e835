"""facet arrays of labeled rows in any project

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:20:00.000000

The arrays gain `labeledIn:<status>` and `unlabeledIn:<status>` (server.facets.columns), for the project leaf's
`labeled` without a projectId: every block holding rows is marked, so the arrays are rebuilt with them before counts
read them alone. No schema change.
"""

from alembic import op

from server.models.facets import MARK_EVERY_BLOCK

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(MARK_EVERY_BLOCK)


def downgrade() -> None:
    op.execute(MARK_EVERY_BLOCK)
