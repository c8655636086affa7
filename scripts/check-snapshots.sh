#!/usr/bin/env bash
# Usage: scripts/check-snapshots.sh REFERENCES_FILE
#
# The `cargo insta test --unreferenced=reject` check without cargo-insta:
# REFERENCES_FILE is what insta wrote to INSTA_SNAPSHOT_REFERENCES_FILE during
# a full `cargo test --workspace` (one snapshot path per assertion). Fails when
# a pending `.snap.new` / `.pending-snap` exists, or when a `.snap` under
# crates/ was not touched by any test (a stale snapshot nobody reviews).
set -euo pipefail
cd "$(dirname "$0")/.."
refs="$1"

pending="$(find crates -path '*/target' -prune -o \( -name '*.snap.new' -o -name '*.pending-snap' \) -print)"
if [ -n "$pending" ]; then
  echo "check-snapshots: pending snapshots (review them with cargo insta review):" >&2
  echo "$pending" >&2
  exit 1
fi

root="$(pwd -P)"
referenced="$(mktemp)"
trap 'rm -f "$referenced"' EXIT
# insta writes absolute paths; make them relative to the repository root.
while IFS= read -r path; do
  [ -n "$path" ] || continue
  real="$(realpath -m "$path")"
  echo "${real#"$root"/}"
done <"$refs" | sort -u >"$referenced"

unreferenced="$(find crates -path '*/target' -prune -o -name '*.snap' -print | sort | comm -23 - "$referenced")"
if [ -n "$unreferenced" ]; then
  if [ "${SMBGUARD_REQUIRE_TOOLS:-}" = 1 ]; then
    echo "check-snapshots: snapshot files no test references (delete them):" >&2
    echo "$unreferenced" >&2
    exit 1
  fi
  # Without every tool some tests skip before their assertion.
  echo "check-snapshots: WARNING: unreferenced (tests may have skipped):" >&2
  echo "$unreferenced" >&2
fi
