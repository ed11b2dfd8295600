#!/usr/bin/env bash
# Before the first release the schema is one migration, regenerated from dashboard/store/models.py.
# Run this after changing the models; tests/test_migrations.py fails while they disagree.
# (After the first release: never edit 0001 again; add a migration with
#  `alembic revision --autogenerate -m "..."` instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f dashboard/store/migrations/versions/0001_initial_schema.py
alembic -c alembic.ini -x url="sqlite:///$tmp/empty.db" revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
echo "regenerated dashboard/store/migrations/versions/0001_initial_schema.py"
