#!/usr/bin/env bash
# Regenerates entity/src/generated/ (and docs/entities.mermaid) from the schema
# authstore's own migration builds.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/authstore_codegen scripts/regenerate-entities.sh
#
# DATABASE_URL must name an EMPTY PostgreSQL database: entities generated from
# SQLite get i64 ids, and from MySQL other column types. The flags below are
# fixed so that regeneration is byte-for-byte reproducible; CI fails on any diff.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to an empty PostgreSQL database}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "regenerate-entities: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/entity/src/generated"

cargo run --quiet --manifest-path "$root/Cargo.toml" -p authstore-migration --features cli -- up

rm -rf "$out"
# sea-orm-cli reads .env from its working directory and the ones above it, and
# DATABASE_SCHEMA from the environment; either would add `schema_name` to every
# entity. Running it from an empty directory with the variable unset keeps the
# output independent of where the script is called from.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(
  cd "$scratch"
  env -u DATABASE_SCHEMA sea-orm-cli generate entity \
    --database-url "$DATABASE_URL" \
    --output-dir "$out" \
    --lib \
    --with-serde both \
    --date-time-crate chrono \
    --impl-active-model-behavior=false \
    --er-diagram
)
mkdir -p "$root/docs"
mv "$out/entities.mermaid" "$root/docs/entities.mermaid"
echo "regenerated $out and docs/entities.mermaid"
