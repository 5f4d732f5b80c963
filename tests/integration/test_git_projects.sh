#!/usr/bin/env bash
# Projects from git with the real dbt (docs/api.md#projects-from-git): a local bare
# repository holding examples/shop in a subfolder, registered by its file:// URL (the
# project checks run on the daemon's checkout); a run records the commit it ran, shown by
# `run show`; a new commit pushed is the next run's; --ref pinned to a tag keeps the tag's
# commit; a retry runs its source's commit, not the branch's newest; --ref refs/heads/main
# is the branch; a bad URL, an ext:: URL, a ref that is an option and a relative ref
# (main~1) are refused with 400 (the CLI exits 2).
source "$(dirname "$0")/lib.sh"

if [ -z "${DAGCTL_TEST_DBT:-}" ] || [ ! -x "$DAGCTL_TEST_DBT" ]; then
  fail "DAGCTL_TEST_DBT ('${DAGCTL_TEST_DBT:-}') is not an executable dbt: run scripts/test, or configure with -DDAGCTL_TEST_DBT=\$(scripts/setup-dbt)"
fi
command -v git >/dev/null || fail "git is not installed (scripts/install-deps lists it)"

# The test's own commits: a fixed author, none of the user's config.
export GIT_CONFIG_GLOBAL="$TEST_TMP/gitconfig" GIT_CONFIG_NOSYSTEM=1
git config --global user.name dagctl-test
git config --global user.email test@dagctl.invalid
git config --global init.defaultBranch main

bare="$TEST_TMP/origin.git"
work="$TEST_TMP/work"
git init -q --bare "$bare"
git init -q "$work"
mkdir -p "$work/analytics"
cp -r "$DAGCTL_SOURCE_DIR/examples/shop" "$work/analytics/shop"
rm -rf "$work/analytics/shop/target" "$work/analytics/shop/logs" "$work/analytics/shop/"*.duckdb
git -C "$work" add -A
git -C "$work" commit -q -m "shop"
git -C "$work" tag v1
git -C "$work" push -q "$bare" HEAD:main v1
sha1=$(git -C "$work" rev-parse HEAD)
url="file://$bare"

start_daemon --dbt "$DAGCTL_TEST_DBT"

# --- add: cloned once, checked on the checkout ----------------------------------------------
out=$(dagctl project add --git "$url" --subdir analytics/shop --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop.duckdb")
assert_contains "$out" "registered project shop" "project add --git clones and checks the repository's project"
assert_contains "$out" "$url" "and says where it comes from"
shown=$(dagctl -o json project show shop)
assert_eq "$url" "$(echo "$shown" | json 'd["git_url"]')" "the project's git_url is the URL given"
assert_eq analytics/shop "$(echo "$shown" | json 'd["git_subdir"]')" "its git_subdir"
assert_eq null "$(echo "$shown" | json 'd["git_ref"]')" "no git_ref: the remote's HEAD branch"

# --- a run records its commit ------------------------------------------------------------------
run1=$(trigger shop/default)
wait_status "$run1" success 180
assert_eq "$sha1" "$(run_field "$run1" 'd["git_commit"]')" "the run's git_commit is the branch's commit"
assert_contains "$(dagctl run show "$run1")" "commit:       $sha1" "run show shows the commit"

# --- a new commit is the next run's -------------------------------------------------------------
cat >"$work/analytics/shop/models/marts/git_marker.sql" <<'EOF'
select 1 as pushed_later
EOF
git -C "$work" add -A
git -C "$work" commit -q -m "a new model"
git -C "$work" push -q "$bare" HEAD:main
sha2=$(git -C "$work" rev-parse HEAD)
run2=$(trigger shop/default)
wait_status "$run2" success 180
assert_eq "$sha2" "$(run_field "$run2" 'd["git_commit"]')" "the next run records the new commit"
assert_contains "$(dagctl logs "$run2")" "git_marker" "and builds the model that commit added"

# --- --ref pinned to a tag keeps the tag's commit -------------------------------------------------
dagctl project add --git "$url" --ref v1 --subdir analytics/shop --name shop_v1 --no-check \
  --env "SHOP_DUCKDB_PATH=$TEST_TMP/shop_v1.duckdb" >/dev/null
run3=$(trigger shop_v1/default)
wait_status "$run3" success 180
assert_eq "$sha1" "$(run_field "$run3" 'd["git_commit"]')" "--ref v1 runs the tag's commit, not the branch's newest"
assert_not_contains "$(dagctl logs "$run3")" "git_marker" "and not the model added after the tag"

# --- a retry runs the commit of the run it retries ---------------------------------------------
run4=$(dagctl -o json trigger shop/default --vars '{scenario: partial}' | json 'd["job_run_id"]')
wait_status "$run4" partial 180
assert_eq "$sha2" "$(run_field "$run4" 'd["git_commit"]')" "the partial run ran the branch's commit"
echo "select 2 as pushed_after_the_failure" >"$work/analytics/shop/models/marts/git_marker.sql"
git -C "$work" commit -q -am "after the failure"
git -C "$work" push -q "$bare" HEAD:main
retry=$(dagctl -o json retry "$run4" | json 'd["job_run_id"]')
wait_for "retry $retry to end" 180 run_is_terminal "$retry" || fail "the retry did not end"
assert_eq "$sha2" "$(run_field "$retry" 'd["git_commit"]')" "the retry ran its source's commit, not the newer one"

# --- project update changes the ref -----------------------------------------------------------
dagctl project update shop_v1 --ref main --no-check >/dev/null
assert_eq main "$(dagctl -o json project show shop_v1 | json 'd["git_ref"]')" "project update --ref changes the ref"

# --- a full ref name resolves as git's user means it ------------------------------------------
sha3=$(git -C "$work" rev-parse HEAD)
id=$(dagctl -o json project add --git "$url" --ref refs/heads/main --subdir analytics/shop --name shop_full_ref \
  --no-check | json 'd["id"]')
assert_eq "$sha3" "$(git -C "$DATA/checkouts/$id" rev-parse HEAD)" "--ref refs/heads/main checks out the branch's newest commit"

# --- refusals: 400, and the CLI exits 2 -----------------------------------------------------------
refused() {  # WHAT NEEDLE ARGS...
  local what=$1 needle=$2 rc=0 err
  shift 2
  err=$(dagctl project add "$@" --no-check 2>&1) || rc=$?
  assert_eq 2 "$rc" "project add with $what exits 2"
  assert_contains "$err" "$needle" "and says why ($what)"
}
refused "an ftp URL" "scheme 'ftp' is not allowed" --git "ftp://host/shop.git" --name bad1
refused "an ext:: URL" "ext::" --git "ext::ssh" --name bad2
refused "a ref that is an option" "starts with '-'" --git "$url" --ref=-x --name bad3
refused "a subfolder outside" "contains '..'" --git "$url" --subdir ../x --name bad4
refused "a repository that is not there" "git fetch failed" --git "file://$TEST_TMP/nowhere.git" --name bad5
refused "a relative ref" "give a branch, a tag" --git "$url" --ref 'main~1' --name bad6
api() { curl -s --unix-socket "$SOCK" -o "$TEST_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
assert_eq 400 "$(api -X POST http://dagctl/api/v1/projects -d '{"git_url": "ext::sh -c id", "check": false}')" \
  "POST /projects with an ext:: URL answers 400"
assert_eq 400 "$(api -X POST http://dagctl/api/v1/projects -d "{\"git_url\": \"$url\", \"git_ref\": \"-x\", \"check\": false}")" \
  "POST /projects with git_ref -x answers 400"
assert_eq 3 "$(dagctl -o json project list | json 'len(d["projects"])')" "no refused project was registered"

# --- a password in the URL is never shown -------------------------------------------------------
rc=0
err=$(dagctl project add --git "http://ann:s3cret@127.0.0.1:1/shop.git" --name secret --no-check 2>&1) || rc=$?
assert_eq 2 "$rc" "an unreachable http URL is refused"
assert_not_contains "$err" "s3cret" "its message never shows the password"
assert_not_contains "$(cat "$TEST_TMP/dagctld.log")" "s3cret" "nor does the daemon's log"

finish
