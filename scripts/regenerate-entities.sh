#!/usr/bin/env bash
# Regenerates a schema profile's entities, entity/src/<profile>/generated/, and
# its ER diagram, docs/<profile>.mermaid, from the schema authstore's own
# migrations build for that profile. Without an argument: every profile.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/authstore_codegen scripts/regenerate-entities.sh [PROFILE]
#
# DATABASE_URL must name a scratch PostgreSQL database (it is emptied): entities
# generated from SQLite get i64 ids, and from MySQL other column types. The flags
# below are fixed so that regeneration is byte-for-byte reproducible; CI fails
# on any diff.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to a scratch PostgreSQL database}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "regenerate-entities: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

regenerate() {
  local profile=$1
  local out="$root/entity/src/${profile//-/_}/generated"
  local ignore=seaql_migrations,seaql_migrations_better_auth
  # A SeaORM entity needs a primary key, and the Prisma adapter's documented
  # Session has none (its token is only unique): no entity for it.
  if [ "$profile" = authjs-prisma ]; then ignore="$ignore,Session"; fi
  # `fresh` empties the database first, so each profile is generated alone.
  AUTHSTORE_PROFILE=$profile cargo run --quiet --manifest-path "$root/Cargo.toml" \
    -p authstore-migration --features cli -- fresh
  rm -rf "$out"
  # Migration histories are not entities (better-auth's has its own table,
  # so the profile can sit beside another profile's tables).
  # sea-orm-cli reads .env from its working directory and the ones above it,
  # and DATABASE_SCHEMA from the environment; either would add `schema_name`
  # to every entity. Running it from an empty directory with the variable
  # unset keeps the output independent of where the script is called from.
  (
    cd "$scratch"
    env -u DATABASE_SCHEMA sea-orm-cli generate entity \
      --database-url "$DATABASE_URL" \
      --output-dir "$out" \
      --lib \
      --with-serde both \
      --date-time-crate chrono \
      --impl-active-model-behavior=false \
      --ignore-tables "$ignore" \
      --er-diagram
  )
  mkdir -p "$root/docs"
  mv "$out/entities.mermaid" "$root/docs/$profile.mermaid"
  echo "regenerated $out and docs/$profile.mermaid"
}

if [ $# -gt 0 ]; then
  regenerate "$1"
else
  # Every profile, by the names `authstore_entity::Profile` knows.
  mapfile -t all_profiles < <(cargo run --quiet --manifest-path "$root/Cargo.toml" \
    -p authstore-migration --features cli -- profiles)
  [ ${#all_profiles[@]} -gt 0 ] || { echo "regenerate-entities: no profiles listed" >&2; exit 1; }
  for profile in "${all_profiles[@]}"; do regenerate "$profile"; done
fi
