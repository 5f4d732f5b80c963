#!/usr/bin/env bash
# The repository explains itself: every docs/ page that code, tests, man pages or other docs
# point to exists, and nothing cites a specification outside the repository (the project's
# own docs/ are its specification). No daemon is started.
source "$(dirname "$0")/lib.sh"

SRC=$DAGCTL_SOURCE_DIR
cd "$SRC" || fail "no source dir $SRC"
files=$(git ls-files 2>/dev/null || find . -type f -not -path './build*' -not -path './.git/*')
[ -n "$files" ] || fail "no files found under $SRC"

missing=""
for page in $(grep -ohE 'docs/[a-z_-]+\.(md|yaml)' $files 2>/dev/null | sort -u); do
  [ -f "$page" ] || missing="$missing $page"
done
assert_eq "" "$missing" "every docs/ page the repository points to exists"

outside=$(grep -lE 'CONTRACT(\.md| §)|\.\./shared/' $files 2>/dev/null | grep -v '^tests/integration/test_repo_docs.sh$' || true)
assert_eq "" "$outside" "nothing cites a specification outside the repository"
