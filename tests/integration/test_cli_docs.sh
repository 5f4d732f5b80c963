#!/usr/bin/env bash
# The man pages and the shell completions cover every command and flag (docs/cli.md).
#
# Walks dagctl's command tree from its own --help output (CLI11's "Subcommands:" and
# "Options:" sections), then checks that every command path and every long option is in
# man/dagctl.1 and in the bash, zsh and fish completions, and that every long option and
# environment variable of dagctld --help is in man/dagctld.8 (and its options in the
# completions). The bash completion is also run: every command level offers exactly the
# subcommands of --help, every command offers all its options, and a few hand-picked
# cases. Needs only bash and python3: zsh, fish and man are used when installed.
# No daemon is started.
source "$(dirname "$0")/lib.sh"

SRC=$DAGCTL_SOURCE_DIR
DAGCTL=$DAGCTL_BIN_DIR/dagctl
DAGCTLD=$DAGCTL_BIN_DIR/dagctld
MAN1=$SRC/man/dagctl.1
MAN8=$SRC/man/dagctld.8
BASH_COMP=$SRC/completions/dagctl.bash
ZSH_COMP=$SRC/completions/_dagctl
FISH_COMP=$SRC/completions/dagctl.fish
for f in "$MAN1" "$MAN8" "$BASH_COMP" "$ZSH_COMP" "$FISH_COMP"; do
  [ -s "$f" ] || fail "missing $f"
done
pass "man pages and completion files exist"

# --- the command tree, from --help -------------------------------------------------------

# Keyed by command path; "_" is dagctl itself (bash has no empty keys).
declare -A SUBS=()   # "job" -> "list show create update delete"
declare -A OPTS=()   # "job update" -> "--name --command ..." (long options but --help)
declare -A ENVS=()   # environment variables named by any dagctl help
PATHS=()             # every command path, e.g. "job update"

# parse_help: reads CLI11 help on stdin; prints "sub NAME", "opt --LONG" and "env VAR".
parse_help() {
  local line section=""
  while IFS= read -r line; do
    case $line in
      Options:) section=options; continue ;;
      Subcommands:) section=subcommands; continue ;;
      [A-Za-z]*) section=""; continue ;;
    esac
    if [[ $line =~ \(Env:([A-Z0-9_]+)\) ]]; then echo "env ${BASH_REMATCH[1]}"; fi
    case $section in
      options)
        if [[ $line =~ ^\ \ (-[A-Za-z0-9],)?(--[A-Za-z0-9][A-Za-z0-9-]*) ]]; then
          echo "opt ${BASH_REMATCH[2]}"
        fi
        ;;
      subcommands)
        if [[ $line =~ ^\ \ ([a-z][a-z0-9-]*)(\ |$) ]]; then echo "sub ${BASH_REMATCH[1]}"; fi
        ;;
    esac
  done
}

walk() {  # PATH: records PATH's options and subcommands, then walks each subcommand
  local path=$1 kind name subs="" opts="" help
  local -a words=()
  [ -n "$path" ] && read -ra words <<<"$path"
  help=$("$DAGCTL" "${words[@]}" --help) || fail "dagctl $path --help failed"
  while read -r kind name; do
    case $kind in
      sub) subs+="${subs:+ }$name" ;;
      opt) [ "$name" == --help ] || opts+="${opts:+ }$name" ;;
      env) ENVS[$name]=1 ;;
    esac
  done < <(parse_help <<<"$help")
  SUBS[${path:-_}]=$subs
  OPTS[${path:-_}]=$opts
  [ -n "$path" ] && PATHS+=("$path")
  local sub
  for sub in $subs; do walk "${path:+$path }$sub"; done
}
walk ""

[ "${#PATHS[@]}" -ge 20 ] || fail "the walk found only ${#PATHS[@]} command paths: is the help format still CLI11's? ${PATHS[*]}"
case " ${OPTS["job update"]} " in *" --webhook-auth-password "*) ;; *) fail "no --webhook-auth-password in job update's help: ${OPTS["job update"]}" ;; esac
case " ${OPTS[trigger]} " in *" --select "*) ;; *) fail "no --select in trigger's help: ${OPTS[trigger]}" ;; esac
n_opts=0
for p in "" "${PATHS[@]}"; do for o in ${OPTS[${p:-_}]}; do n_opts=$((n_opts + 1)); done; done
pass "dagctl --help tree: ${#PATHS[@]} command paths, $n_opts long options, env ${!ENVS[*]}"

DAEMON_OPTS=()
declare -A DAEMON_ENVS=()
while read -r kind name; do
  case $kind in
    opt) [ "$name" == --help ] || DAEMON_OPTS+=("$name") ;;
    env) DAEMON_ENVS[$name]=1 ;;
  esac
done < <("$DAGCTLD" --help | parse_help)
[ "${#DAEMON_OPTS[@]}" -ge 10 ] || fail "dagctld --help has only ${#DAEMON_OPTS[@]} options: ${DAEMON_OPTS[*]}"
pass "dagctld --help: ${#DAEMON_OPTS[@]} long options, ${#DAEMON_ENVS[@]} environment variables"

# --- helpers --------------------------------------------------------------------------------

# man_text FILE: the page's source with roff's \- as - and font escapes removed, enough to
# grep for "dagctl job update" and "--webhook-url" without man installed.
man_text() {
  sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\ / /g' -e 's/\\&//g' "$1"
}

# man_items FILE: the heads of the page's tagged paragraphs (the line after each .TP),
# where a command or an option is described rather than only mentioned.
man_items() {
  man_text "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }'
}

has_word() {  # TEXT WORD: WORD as a whole word (not a prefix of --webhook-auth-...)
  grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|$)" <<<"$1"
}

# report FILE WHAT MISSING...: one assertion per file and kind of item.
report() {
  local file=$1 what=$2
  shift 2
  [ $# -eq 0 ] || fail "${file#"$SRC"/} lacks $what: $*"
  pass "${file#"$SRC"/} covers every $what"
}

# --- man/dagctl.1 -----------------------------------------------------------------------------

MAN1_TEXT=$(man_text "$MAN1")
MAN1_ITEMS=$(man_items "$MAN1")
missing=()
for p in "${PATHS[@]}"; do
  # A group ("job") is covered by its commands' items ("dagctl job list ...").
  has_word "$MAN1_ITEMS" "dagctl $p" || missing+=("dagctl $p")
done
report "$MAN1" "command, as an item" "${missing[@]}"
missing=()
for p in "" "${PATHS[@]}"; do
  for o in ${OPTS[${p:-_}]}; do has_word "$MAN1_ITEMS" "$o" || missing+=("${p:+$p }$o"); done
done
has_word "$MAN1_ITEMS" --help || missing+=(--help)
report "$MAN1" "option, as an item" "${missing[@]}"
missing=()
for e in "${!ENVS[@]}" DAGCTL_SOCKET DAGCTL_WEBHOOK_AUTH_PASSWORD DAGCTL_DATA_DIR; do
  has_word "$MAN1_TEXT" "$e" || missing+=("$e")
done
report "$MAN1" "environment variable" "${missing[@]}"
missing=()
for s in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
  grep -qE "^\.SH \"?$s\"?\$" "$MAN1" || missing+=("$s")
done
report "$MAN1" "section" "${missing[@]}"

# --- man/dagctld.8 ----------------------------------------------------------------------------

MAN8_TEXT=$(man_text "$MAN8")
MAN8_ITEMS=$(man_items "$MAN8")
missing=()
for o in "${DAEMON_OPTS[@]}" --help; do has_word "$MAN8_ITEMS" "$o" || missing+=("$o"); done
report "$MAN8" "option, as an item" "${missing[@]}"
missing=()
for e in "${!DAEMON_ENVS[@]}"; do has_word "$MAN8_TEXT" "$e" || missing+=("$e"); done
report "$MAN8" "environment variable" "${missing[@]}"
missing=()
for w in SIGTERM SIGINT dagctld.json dagctld.lock dagctl.db runs/ 127.0.0.1:8780; do
  grep -qF -- "$w" <<<"$MAN8_TEXT" || missing+=("$w")
done
for s in NAME SYNOPSIS DESCRIPTION OPTIONS SIGNALS "EXIT STATUS" ENVIRONMENT FILES SECURITY "SEE ALSO"; do
  grep -qE "^\.SH \"?$s\"?\$" "$MAN8" || missing+=(".SH $s")
done
report "$MAN8" "signal, file and section" "${missing[@]}"

# --- the completion files, as text -------------------------------------------------------------

for file in "$BASH_COMP" "$ZSH_COMP"; do
  text=$(<"$file")
  missing=()
  for p in "${PATHS[@]}"; do has_word "$text" "${p##* }" || missing+=("$p"); done
  report "$file" "command" "${missing[@]}"
  missing=()
  for p in "" "${PATHS[@]}"; do
    for o in ${OPTS[${p:-_}]}; do has_word "$text" "$o" || missing+=("${p:+$p }$o"); done
  done
  for o in "${DAEMON_OPTS[@]}"; do has_word "$text" "$o" || missing+=("dagctld $o"); done
  report "$file" "option" "${missing[@]}"
done

# zsh: each command path is a case of _dagctl_command or a group's 'NAME:description'.
text=$(<"$ZSH_COMP")
missing=()
for p in "${PATHS[@]}"; do
  if [ -n "${SUBS[${p:-_}]}" ]; then
    grep -qE "^ +$p\)" <<<"$text" || missing+=("$p")
  else
    grep -qE "(^|[\"| ])${p}[\"|)]" <<<"$text" || missing+=("$p")
  fi
done
report "$ZSH_COMP" "command path" "${missing[@]}"

# fish: "complete -c dagctl -n '__dagctl_at PARENT' -a NAME" for every command, and
# "-l NAME" on a line whose condition names the command.
text=$(<"$FISH_COMP")
missing=()
for p in "${PATHS[@]}"; do
  parent=""
  [[ $p == *" "* ]] && parent=${p% *}
  grep -qF -- "__dagctl_at ${parent:-\"\"}' -a ${p##* } " <<<"$text" || missing+=("$p")
done
report "$FISH_COMP" "command" "${missing[@]}"
missing=()
for p in "" "${PATHS[@]}"; do
  for o in ${OPTS[${p:-_}]}; do
    if [ -z "$p" ]; then
      grep -qE -- "^complete -c dagctl .*-l ${o#--}( |$)" <<<"$text" || missing+=("$o")
    else
      # Not "grep | grep -q" under pipefail: the second grep's early exit can SIGPIPE the first.
      grep -qE -- "-l ${o#--}( |$)" <<<"$(grep -E -- "__dagctl_at ${p}[;']" <<<"$text")" || missing+=("$p $o")
    fi
  done
done
for o in "${DAEMON_OPTS[@]}"; do
  grep -qE -- "^complete -c dagctld .*-l ${o#--}( |$)" <<<"$text" || missing+=("dagctld $o")
done
report "$FISH_COMP" "option" "${missing[@]}"

# --- the bash completion, run -----------------------------------------------------------------

# complete_line WORD...: what _dagctl offers for a command line whose last word is the one
# being completed, one a line. DAGCTL_SOCKET (lib.sh) names no daemon, so names from the
# daemon come back empty.
complete_line() (
  set +euo pipefail
  # shellcheck source=/dev/null
  source "$BASH_COMP"
  local fn=_dagctl
  [ "$1" == dagctld ] && fn=_dagctld
  COMP_WORDS=("$@")
  COMP_WORDS[0]=${COMP_WORD0:-$1}
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${*}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$fn"
  printf '%s\n' "${COMPREPLY[@]}"
)

sorted() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }

# Hand-picked cases.
assert_eq "status org daemon project job trigger ls runs run logs watch cancel retry token webhook doctor ui" \
  "$(complete_line dagctl "" | tr '\n' ' ' | sed 's/ $//')" "bash: dagctl <TAB> lists the commands"
assert_eq "update" "$(complete_line dagctl job up)" "bash: dagctl job up<TAB> completes update"
assert_eq "--select --selector --socket" "$(complete_line dagctl trigger --s | sort | tr '\n' ' ' | sed 's/ $//')" \
  "bash: dagctl trigger --s<TAB> offers --select, --selector and the global --socket"
assert_eq "json" "$(complete_line dagctl -o j)" "bash: -o j<TAB> completes json"
assert_eq "cancelled" "$(complete_line dagctl runs --status c)" "bash: runs --status c<TAB>"
assert_eq "airflow_jwt" "$(complete_line dagctl job update x --webhook-auth a)" "bash: --webhook-auth a<TAB>"
assert_eq "false" "$(complete_line dagctl job update x --webhook-enabled f)" "bash: --webhook-enabled f<TAB>"
assert_eq "completed,failed" "$(complete_line dagctl job update x --webhook-events completed,f)" \
  "bash: --webhook-events completes the word after the comma"
assert_eq "start stop" "$(complete_line dagctl -o json daemon "" | tr '\n' ' ' | sed 's/ $//')" \
  "bash: an option value before the command does not count as a command"
assert_eq "--log-level" "$(complete_line dagctld --log-l)" "bash: dagctld --log-l<TAB>"
mkdir -p "$TEST_TMP/projects/shop-a"
assert_eq "$TEST_TMP/projects/shop-a" "$(complete_line dagctl project add "$TEST_TMP/projects/sh")" \
  "bash: project add PATH completes folders"
assert_eq "$TEST_TMP/projects/shop-a" \
  "$(complete_line dagctl project add --name x --profiles-dir . --dbt d --env K=V "$TEST_TMP/projects/sh")" \
  "bash: option values are not taken for the PATH argument"
errors=$(complete_line dagctl job show "" 2>&1)
assert_eq "" "$errors" "bash: JOB names without a daemon: nothing, silently"

# Names from the daemon, with a stand-in dagctl that answers as the daemon would.
cat >"$TEST_TMP/fake-dagctl" <<'EOF'
#!/usr/bin/env bash
case " $* " in
  *" project list "*) echo '{"projects":[{"name":"shop","id":"p1","jobs":[{"name":"default","id":"j1"},{"name":"nightly","id":"j2"}]},{"name":"web","id":"p2","jobs":[{"name":"default","id":"j3"}]}]}' ;;
  *" runs "*) echo '{"runs":[{"id":"run-1"},{"id":"run-2"}]}' ;;
  *) exit 2 ;;
esac
EOF
chmod +x "$TEST_TMP/fake-dagctl"
export COMP_WORD0=$TEST_TMP/fake-dagctl
assert_eq "shop/default shop/nightly" "$(complete_line dagctl trigger sh | tr '\n' ' ' | sed 's/ $//')" \
  "bash: trigger sh<TAB> completes PROJECT/JOB names from dagctl -o json"
assert_eq "web" "$(complete_line dagctl job list --project w)" "bash: --project completes project names"
assert_eq "run-1 run-2" "$(complete_line dagctl logs "" | tr '\n' ' ' | sed 's/ $//')" "bash: logs <TAB> completes run ids"
unset COMP_WORD0

# Every level offers exactly the subcommands of --help, and every command all its options.
missing=()
for p in "" "${PATHS[@]}"; do
  read -ra words <<<"$p"
  if [ -n "${SUBS[${p:-_}]}" ]; then
    got=$(complete_line dagctl "${words[@]}" "" | sorted)
    want=$(sorted <<<"${SUBS[${p:-_}]}")
    [ "$got" == "$want" ] || missing+=("'dagctl $p <TAB>' gave '$got', not '$want';")
  fi
  offered=" $(complete_line dagctl "${words[@]}" -- | tr '\n' ' ') "
  for o in ${OPTS[${p:-_}]} --help; do
    [[ $offered == *" $o "* ]] || missing+=("'dagctl $p --<TAB>' lacks $o;")
  done
done
offered=" $(complete_line dagctld -- | tr '\n' ' ') "
for o in "${DAEMON_OPTS[@]}"; do [[ $offered == *" $o "* ]] || missing+=("'dagctld --<TAB>' lacks $o;"); done
report "$BASH_COMP" "command and option when run" "${missing[@]}"

# --- with the tools, when installed (not in CI) -------------------------------------------------

if command -v zsh >/dev/null 2>&1; then
  zsh -n "$ZSH_COMP" || fail "zsh -n $ZSH_COMP"
  pass "zsh -n completions/_dagctl"
fi
if command -v fish >/dev/null 2>&1; then
  fish -n "$FISH_COMP" || fail "fish -n $FISH_COMP"
  pass "fish -n completions/dagctl.fish"
  got=$(fish -c "source '$FISH_COMP'; complete -C 'dagctl job up'; complete -C 'dagctl -o json trigger --s'" 2>&1 |
    cut -f1 | sort | tr '\n' ' ')
  assert_eq "--select --socket update " "$got" "fish: job up<TAB> and -o json trigger --s<TAB>"
fi
if command -v man >/dev/null 2>&1 && man --help 2>&1 | grep -q -- --warnings; then
  for page in "$MAN1" "$MAN8"; do
    warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    assert_eq "" "$warnings" "man --warnings -l ${page#"$SRC"/}"
  done
fi

finish
