#!/usr/bin/env bash
# Builds the README's quickstart as a new user's crate would: outside the
# workspace, its `main.rs` the README's code verbatim, depending on the crates
# as `cargo package --workspace` packaged them (target/package/), not on the
# workspace's sources. Run after `cargo package --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
packages="${CARGO_TARGET_DIR:-$root/target}/package"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
for crate in authstore authstore-entity authstore-migration; do
  [ -d "$packages/$crate-$version" ] || { echo "no packaged $crate-$version in $packages: run cargo package --workspace first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
# The README's own dependency lines, then the packaged crates in place of the registry's.
sed -n '/^## Add it/,/^```$/p' README.md | sed -n '/^\[dependencies\]/,/^```$/p' | sed '$d' >"$work/deps.toml"
{
  printf '[package]\nname = "quickstart"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[workspace]\n\n'
  cat "$work/deps.toml"
  printf '\n[patch.crates-io]\n'
  for crate in authstore authstore-entity authstore-migration; do
    printf '%s = { path = "%s/%s-%s" }\n' "$crate" "$packages" "$crate" "$version"
  done
} >"$work/Cargo.toml"
sed -n '/^## Quickstart/,/^## /p' README.md | sed -n '/^```rust/,/^```$/p' | sed '1d;$d' >"$work/src/main.rs"
[ -s "$work/src/main.rs" ] || { echo "no quickstart code found in README.md" >&2; exit 1; }
cat "$work/Cargo.toml"
# The workspace's target directory: the dependencies it already built are reused.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" cargo build --quiet --manifest-path "$work/Cargo.toml"
echo "packaged quickstart: built"
