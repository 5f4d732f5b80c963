#!/usr/bin/env bash
# The web UI's login and sessions over real TCP (docs/security.md#web-ui): `dagctl ui`'s
# one-time link sets an HttpOnly, SameSite=Strict cookie; the cookie reads and (with
# X-CSRF-Token) changes through /api/v1; a forged Host is refused even with a valid cookie;
# a token session has its token's scope and ends with it; a local session may do what the
# socket owner may; pages carry the Content-Security-Policy; logout ends the session; and
# hostile cookies and codes get 4xx, never a crash. dbt is the stand-in.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_fake.sh"

start_daemon --dbt "$FAKE_DBT" --listen 127.0.0.1:0
ADDR=$(http_address)
BASE="http://$ADDR"
P=$(add_project "$(copy_example shop)" shop)
J=$(dagctl -o json job show shop/default | json 'd["id"]')
TRIGGER="$BASE/api/v1/projects/$P/jobs/$J/trigger"

# req ARGS...: curl; the status on stdout, the body in $TEST_TMP/body, the headers in $TEST_TMP/head.
req() { curl -sS -o "$TEST_TMP/body" -D "$TEST_TMP/head" -w '%{http_code}' "$@"; }
body() { cat "$TEST_TMP/body"; }
header() { grep -i "^$1:" "$TEST_TMP/head" | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'; }
cookie_from_head() { header Set-Cookie | sed -n 's/^dagctl_session=\([^;]*\).*/\1/p'; }

# --- the one-time link -------------------------------------------------------------------
url=$(dagctl ui --print-url)
case "$url" in "$BASE/login?code="?*) pass "dagctl ui --print-url prints a login link on the listener ($BASE)" ;;
  *) fail "dagctl ui --print-url printed '$url'" ;; esac
assert_eq 303 "$(req "$url")" "following the link answers 303"
assert_eq / "$(header Location)" "to /"
set_cookie=$(header Set-Cookie)
for attr in HttpOnly SameSite=Strict Path=/ Max-Age=43200; do
  assert_contains "$set_cookie" "$attr" "the session cookie has $attr"
done
COOKIE=$(cookie_from_head)
[ ${#COOKIE} -ge 40 ] || fail "the session cookie '$COOKIE' is short"
assert_eq 401 "$(req "$url")" "the link's second use is 401"
assert_contains "$(body)" "dagctl ui" "its page says to run dagctl ui again"
assert_eq "" "$(header Set-Cookie)" "and sets no cookie"
dagctl -o json ui | json 'd["url"]' | grep -q "^$BASE/login?code=" && pass "dagctl -o json ui gives the link as JSON"

# c ARGS...: req with the session cookie.
c() { req -H "Cookie: dagctl_session=$COOKIE" "$@"; }
assert_eq 200 "$(c "$BASE/api/v1/projects")" "the cookie reads /api/v1/projects"
assert_contains "$(body)" '"shop"' "with the project"
assert_eq 200 "$(c "$BASE/api/v1/ui/session")" "GET /api/v1/ui/session with the cookie"
fields "$(body)" 'd["kind"]' 'd["scope"]' 'd["csrf_token"]'
assert_eq local "${F[0]}" "a link's session is local"
assert_eq admin "${F[1]}" "with scope admin"
CSRF=${F[2]}
[ ${#CSRF} -ge 20 ] || fail "csrf_token '$CSRF'"
assert_eq 403 "$(c -X POST "$TRIGGER")" "a POST with the cookie but no X-CSRF-Token is 403"
assert_contains "$(body)" csrf_failed "csrf_failed"
assert_eq 403 "$(c -X POST -H "X-CSRF-Token: ${CSRF}x" "$TRIGGER")" "a wrong X-CSRF-Token is 403"
assert_eq 200 "$(c -X POST -H "X-CSRF-Token: $CSRF" "$TRIGGER")" "with X-CSRF-Token it triggers"
assert_eq 200 "$(c -X POST -H "X-CSRF-Token: $CSRF" -H "Origin: $BASE" "$TRIGGER")" "with its own Origin too"
assert_eq 403 "$(c -X POST -H "X-CSRF-Token: $CSRF" -H "Origin: http://evil.example" "$TRIGGER")" \
  "another Origin is 403 even with the CSRF token"
assert_eq 403 "$(c -X POST -H "X-CSRF-Token: $CSRF" -H "Origin: null" "$TRIGGER")" "Origin: null is 403"

# --- Host: DNS rebinding ---------------------------------------------------------------------
port=${ADDR##*:}
assert_eq 403 "$(c -H "Host: evil.example:$port" "$BASE/api/v1/projects")" "a forged Host is 403 even with a valid cookie"
assert_contains "$(body)" host_not_allowed "host_not_allowed"
assert_contains "$(body)" "$BASE" "naming where to open the UI"
assert_eq 403 "$(req -H "Host: evil.example:$port" "$BASE/login")" "and for the login page"
for host in "localhost:$port" "127.0.0.1:$port" "LOCALHOST:$port"; do
  assert_eq 200 "$(c -H "Host: $host" "$BASE/api/v1/projects")" "Host $host is the listener's own"
done
TOKEN_ADMIN=$(dagctl -o json token create --name admin --scope admin | json 'd["token"]')
assert_eq 200 "$(req -H "Authorization: Bearer $TOKEN_ADMIN" -H "Host: host.docker.internal:$port" "$BASE/api/v1/projects")" \
  "a bearer token works with any Host (Airflow in Docker)"

# --- logged out ----------------------------------------------------------------------------
assert_eq 401 "$(req "$BASE/api/v1/runs")" "a logged-out GET of /api/v1/runs is 401"
if curl -sS --unix-socket "$SOCK" http://d/api/v1/routes | grep -q '"path":"/"'; then
  assert_eq 303 "$(req "$BASE/")" "a logged-out GET of / is 303"
  assert_eq /login "$(header Location)" "to /login"
  assert_contains "$(header Content-Security-Policy)" "script-src 'self'" "the page has the CSP"
  assert_eq 200 "$(c "$BASE/")" "with the cookie / answers"
  assert_contains "$(header Content-Security-Policy)" "default-src 'none'" "with the CSP"
else
  echo "# no page at / on this build; its checks are skipped"
fi
assert_eq 200 "$(req "$BASE/login")" "GET /login is the form"
assert_contains "$(body)" 'name="token"' "with a token field"
assert_contains "$(header Content-Security-Policy)" "default-src 'none'; script-src 'self'" "/login has the CSP"
assert_contains "$(header Content-Security-Policy)" "frame-ancestors 'none'" "framing refused"
assert_eq nosniff "$(header X-Content-Type-Options)" "X-Content-Type-Options: nosniff"
assert_eq DENY "$(header X-Frame-Options)" "X-Frame-Options: DENY"
assert_eq no-store "$(header Cache-Control)" "Cache-Control: no-store"
assert_not_contains "$(body)" "<script" "no script on the login page"
assert_not_contains "$(body)" "style=" "no inline style"
assert_eq 200 "$(req "$BASE/ui/login.css")" "its stylesheet is served without a session"
assert_contains "$(header Content-Type)" text/css "as CSS"
# HEAD of a page is its GET without the body (curl -I writes the headers where the body went).
assert_eq 200 "$(req -I "$BASE/login")" "HEAD /login answers 200"
assert_contains "$(header Content-Security-Policy)" "default-src 'none'" "with the page's headers"
assert_not_contains "$(body)" "<" "and no body"
if curl -sS --unix-socket "$SOCK" http://d/api/v1/routes | grep -q '"path":"/"'; then
  assert_eq 303 "$(req -I "$BASE/")" "a logged-out HEAD / is 303 like its GET"
  assert_eq 200 "$(c -I "$BASE/")" "with the cookie HEAD / is 200"
  assert_contains "$(header Content-Type)" text/html "as HTML"
  assert_not_contains "$(body)" "<" "without the body"
fi

# --- a token session -------------------------------------------------------------------------
read_created=$(dagctl -o json token create --name ui-read --scope read)
READ_TOKEN=$(echo "$read_created" | json 'd["token"]')
READ_ID=$(echo "$read_created" | json 'd["id"]')
assert_eq 403 "$(req -X POST -H "Origin: http://evil.example" --data-urlencode "token=$READ_TOKEN" "$BASE/login")" \
  "POST /login from another Origin is 403"
assert_eq 401 "$(req -X POST -H "Origin: $BASE" --data-urlencode "token=dctl_nope" "$BASE/login")" "a wrong token is 401"
assert_contains "$(body)" "not accepted" "the form says the token was not accepted"
assert_eq 400 "$(req -X POST -H "Origin: $BASE" --data-binary "token=dctl_%zz" "$BASE/login")" \
  "a form body with a malformed %-escape is 400"
assert_contains "$(body)" "could not be read" "the form says it could not be read (not 'Enter an API token')"
assert_eq 303 "$(req -X POST -H "Origin: $BASE" --data-urlencode "token=$READ_TOKEN" "$BASE/login")" "a read token logs in"
TCOOKIE=$(cookie_from_head)
t() { req -H "Cookie: dagctl_session=$TCOOKIE" "$@"; }
assert_eq 200 "$(t "$BASE/api/v1/ui/session")" "its session"
fields "$(body)" 'd["kind"]' 'd["scope"]' 'd["csrf_token"]'
assert_eq token "${F[0]}" "is a token session"
assert_eq read "${F[1]}" "with the token's scope, read"
TCSRF=${F[2]}
assert_eq 200 "$(t "$BASE/api/v1/runs")" "it reads runs"
assert_eq 403 "$(t -X POST -H "X-CSRF-Token: $TCSRF" "$TRIGGER")" "a trigger from a read session is 403"
assert_contains "$(body)" "scope 'read'" "naming its scope"
assert_eq 404 "$(t "$BASE/api/v1/tokens")" "a local-only route does not exist for a token session"
assert_eq 404 "$(t "$BASE/api/v1/projects/$P/jobs/$J/webhook/secret")" "nor the webhook secret"
assert_eq 404 "$(t -X POST -H "X-CSRF-Token: $TCSRF" "$BASE/api/v1/ui/login")" "nor a login link"
dagctl token revoke "$READ_ID" >/dev/null
assert_eq 401 "$(t "$BASE/api/v1/runs")" "revoking the token ends its session"
assert_contains "$(body)" "revoked" "saying why"
assert_eq 401 "$(t "$BASE/api/v1/runs")" "for good"

# --- what only a local session may do ------------------------------------------------------
dagctl job update shop/default --webhook-url "http://127.0.0.1:9/hook" >/dev/null
assert_eq 200 "$(c "$BASE/api/v1/tokens")" "a local session lists tokens over TCP"
assert_contains "$(body)" '"ui-read"' "all of them"
assert_eq 200 "$(c "$BASE/api/v1/projects/$P/jobs/$J/webhook/secret")" "and reads a webhook's secret"
assert_contains "$(body)" whsec_ "the secret"
assert_eq 201 "$(c -X POST -H "X-CSRF-Token: $CSRF" -H "Content-Type: application/json" -d '{"name":"from-ui","scope":"read"}' \
  "$BASE/api/v1/tokens")" "and creates a token"

# --- logout ----------------------------------------------------------------------------------
assert_eq 403 "$(c -X POST "$BASE/logout")" "logout needs the CSRF token too"
assert_eq 303 "$(c -X POST -H "X-CSRF-Token: $CSRF" "$BASE/logout")" "POST /logout"
assert_contains "$(header Set-Cookie)" "Max-Age=0" "clears the cookie"
assert_eq 401 "$(c "$BASE/api/v1/projects")" "the cookie no longer works"
assert_contains "$(body)" "log in again" "saying to log in again"

# --- hostile input -----------------------------------------------------------------------------
big=$(head -c 6000 /dev/zero | tr '\0' a)
assert_eq 401 "$(req -H "Cookie: dagctl_session=$big" "$BASE/api/v1/projects")" "a huge cookie is 401"
url=$(dagctl ui --print-url)
assert_eq 303 "$(req "$url")" "a new link"
COOKIE=$(cookie_from_head)
assert_eq 200 "$(req -H "Cookie: dagctl_session=bogus; other=1; dagctl_session=$COOKIE" "$BASE/api/v1/projects")" \
  "duplicate cookies: the live one counts"
assert_eq 200 "$(req -H "Cookie: a=b" -H "Cookie: dagctl_session=\"$COOKIE\"" "$BASE/api/v1/projects")" \
  "two Cookie headers and a quoted value"
many=$(for i in $(seq 1 300); do printf 'dagctl_session=x%d; ' "$i"; done)
assert_eq 401 "$(req -H "Cookie: $many" "$BASE/api/v1/projects")" "300 dead session cookies are 401"
assert_eq 401 "$(req "$BASE/login?code=")" "an empty code is 401"
assert_eq 401 "$(req "$BASE/login?code=%00abc")" "a code with NUL is 401"
# raw HEAD: sends this request head (Python escapes allowed) with a Host, and prints the
# status; for what curl cannot send (a NUL, a 200 KB request line).
raw() {
  python3 -c '
import socket, sys
s = socket.create_connection(tuple(sys.argv[1].rsplit(":", 1)))
s.sendall(sys.stdin.read().rstrip("\n").encode().decode("unicode_escape").encode("latin-1") + b"Host: " + sys.argv[1].encode() + b"\r\nConnection: close\r\n\r\n")
data = b""
while b"\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b" ")[1].decode() if data else "closed")' "$ADDR" <<<"$1"
}
long=$(head -c 204800 /dev/zero | tr '\0' b)
status=$(raw "GET /login?code=$long HTTP/1.1\r\n")
case "$status" in 401 | 414 | 400 | 431) pass "a 200 KB code is refused ($status)" ;; *) fail "a 200 KB code answered $status" ;; esac
status=$(raw "GET /api/v1/projects HTTP/1.1\r\nCookie: dagctl_session=a\x00b\r\n")
case "$status" in 400 | 401) pass "a cookie with NUL is refused ($status)" ;; *) fail "a cookie with NUL answered $status" ;; esac
status=$(raw "GET /api/v1/projects HTTP/1.1\r\nCookie: dagctl_session=$COOKIE\x00\r\n")
case "$status" in 400 | 401) pass "a live cookie with a NUL after it is refused ($status)" ;; *) fail "it answered $status" ;; esac
assert_eq 200 "$(req -H "Cookie: dagctl_session=$COOKIE" "$BASE/api/v1/projects")" "dagctld still answers"

# A multipart body (curl -F) is refused by name, not a 500.
assert_eq 415 "$(req -X POST -H "Origin: $BASE" -F "token=dctl_x" "$BASE/login")" "a multipart POST /login is 415"
assert_contains "$(body)" multipart "naming multipart"
assert_eq 415 "$(req -X POST -H "Authorization: Bearer $TOKEN_ADMIN" -F a=b "$TRIGGER")" "a multipart POST to the API is 415"
# An artifact path with a NUL: the file system would stop at it and serve another file.
DONE=$(trigger shop/default)
wait_for "run $DONE to end" 20 run_is_terminal "$DONE" || fail "run $DONE did not end"
assert_eq 200 "$(req -H "Cookie: dagctl_session=$COOKIE" "$BASE/api/v1/runs/$DONE/artifacts/run_results.json")" "an artifact downloads"
assert_eq 400 "$(req -H "Cookie: dagctl_session=$COOKIE" "$BASE/api/v1/runs/$DONE/artifacts/run_results.json%00.txt")" \
  "an artifact path with a NUL is 400"
assert_contains "$(body)" "control character" "saying why"

# A local session follows logs over TCP within the TCP listener's cap (docs/security.md,
# Listeners), leaving the socket's followers alone.
HOLD=$(trigger shop/default --command 'dbt build --select hold')
wait_started "$HOLD"
follow_log_many 40 "$BASE/api/v1/runs/$HOLD/logs?follow=true" -H "Cookie: dagctl_session=$COOKIE"
assert_eq "32 8" "$(followers_answered 200) $(followers_answered 503)" \
  "a local session's followers: 32 stream over TCP, the rest get 503"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 1 --unix-socket "$SOCK" "http://d/api/v1/runs/$HOLD/logs?follow=true" || true)
assert_eq 200 "$code" "a follower on the socket still streams"
release "$HOLD"
for pid in "${FOLLOWERS[@]}"; do wait "$pid" || true; done

# --- opening the browser -----------------------------------------------------------------------
cat >"$TEST_TMP/browser" <<'SH'
#!/usr/bin/env bash
printf '%s\n' "$#" "$@" >"$DAGCTL_TEST_TMP/opened"
SH
chmod +x "$TEST_TMP/browser"
BROWSER="$TEST_TMP/browser" dagctl ui 2>"$TEST_TMP/err" >"$TEST_TMP/out"
wait_for "the browser stand-in to run" 10 test -s "$TEST_TMP/opened" || fail "\$BROWSER was not run"
assert_eq 1 "$(head -1 "$TEST_TMP/opened")" "\$BROWSER gets the link as one word"
case "$(sed -n 2p "$TEST_TMP/opened")" in "$BASE/login?code="?*) pass "the login link" ;; *) fail "it got $(cat "$TEST_TMP/opened")" ;; esac
assert_eq "" "$(cat "$TEST_TMP/out")" "nothing on stdout when the browser opened"
out=$(env -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER "$DAGCTL_BIN_DIR/dagctl" ui 2>"$TEST_TMP/err")
case "$out" in "$BASE/login?code="?*) pass "without a display dagctl ui prints the link" ;; *) fail "printed '$out'" ;; esac
assert_contains "$(cat "$TEST_TMP/err")" "no display" "and says why it did not open it"
out=$(BROWSER=/nonexistent/browser dagctl ui 2>"$TEST_TMP/err")
case "$out" in "$BASE/login?code="?*) pass "a browser that cannot start: the link is printed" ;; *) fail "printed '$out'" ;; esac
assert_contains "$(cat "$TEST_TMP/err")" "could not open a browser" "saying so"

# --- no listener ---------------------------------------------------------------------------------
stop_daemon
start_daemon --dbt "$FAKE_DBT"
err=$(dagctl ui --print-url 2>&1) && fail "dagctl ui worked without a TCP listener"
assert_contains "$err" "no TCP listener" "without a TCP listener dagctl ui says so"
assert_eq 409 "$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST http://d/api/v1/ui/login)" \
  "POST /api/v1/ui/login is 409 no_listener"

finish
