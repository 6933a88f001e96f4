#!/usr/bin/env bash
# `make breaking [AGAINST=<git ref>]`: buf breaking of protos/ against a release (default: the newest tag).
# The release is checked out in a temporary worktree, where its google/api imports are materialised the same way
# `make proto` does here (they are generated, not committed), and built into an image to compare against.
set -euo pipefail
BUF=$(realpath "${BUF:-.cache/tools/node_modules/.bin/buf}")
PY=$(realpath -s "${PY:-.venv/bin/python}")
ref=${1:-$(git describe --tags --abbrev=0 2>/dev/null || true)}
if [ -z "$ref" ]; then
  echo "breaking: no release tag yet and no AGAINST=<git ref> given; nothing to compare against" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp" >/dev/null 2>&1 || rm -rf "$tmp"' EXIT
git worktree add --detach --quiet "$tmp" "$ref"
(cd "$tmp" && "$PY" -m scripts.gen_protos --force >/dev/null)
(cd "$tmp" && "$BUF" build protos -o "$tmp/against.binpb")
"$BUF" breaking protos --against "$tmp/against.binpb"
echo "breaking: protos/ is compatible with $ref"
