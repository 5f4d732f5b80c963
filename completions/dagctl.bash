# bash completion for dagctl and dagctld                     -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/dagctl (with a dagctld symlink to it
# for on-demand loading of dagctld's), or source it from ~/.bashrc. It needs nothing but
# bash; job, project, run and token names are asked from the running daemon through
# `dagctl -o json` and python3, and left out silently when the daemon does not answer.
#
# Keep in step with cli/*.cpp and daemon/config.cpp; tests/integration/test_cli_docs.sh
# checks that every command and option of the --help output is offered here.

# Options that take a value (everything else that starts with - is a flag).
_dagctl_value_options=" --socket -o --output --color --data-dir --listen --dbt --sqlmesh --type --max-parallel --name
  --profiles-dir --target --env --project --command --schedule --timezone --timeout --enabled
  --catchup --airflow-assets --webhook-url --webhook-header --webhook-events --webhook-enabled --webhook-auth
  --webhook-auth-token-url --webhook-auth-username --webhook-auth-password -s --select
  --exclude --job --status --limit --expires-in --scope --path --unset-env --since --before
  --sandbox --keep-days --keep-runs --selector --vars --threads --resource-type --until --trigger
  -O --output-file --warm --slack --slack-events --openlineage-url "
_dagctl_value_options=${_dagctl_value_options//$'\n'/ }

# _dagctl_subcommands PATH: the subcommands under PATH ("" is the top level).
_dagctl_subcommands() {
  case $1 in
    "") echo "status org daemon project job trigger ls runs run logs watch cancel retry token webhook doctor ui" ;;
    org) echo "show" ;;
    daemon) echo "start stop" ;;
    project) echo "add list show update remove" ;;
    job) echo "list show create update delete" ;;
    run) echo "show artifacts" ;;
    token) echo "create list revoke" ;;
    webhook) echo "secret deliveries redeliver test" ;;
  esac
}

# _dagctl_options PATH: the options of the command PATH, besides the global ones.
_dagctl_options() {
  local job_flags="--name --command --schedule --timezone --timeout --enabled --catchup --slack --slack-events --airflow-assets"
  local dbt_flags="-s --select --exclude --selector --vars --target --threads --full-refresh --defer-to-last-success"
  case $1 in
    "") echo "--version" ;;
    "daemon start") echo "--data-dir --listen --dbt --sqlmesh --max-parallel --sandbox --keep-days --keep-runs --store" ;;
    "project add") echo "--name --type --profiles-dir --target --dbt --sqlmesh --env --no-check --no-warm --openlineage-url" ;;
    "project update") echo "--path --name --profiles-dir --target --dbt --sqlmesh --env --unset-env --warm --openlineage-url --no-check" ;;
    "project remove") echo "-y --yes" ;;
    "job list") echo "--project" ;;
    "job create") echo "$job_flags $dbt_flags" ;;
    "job update")
      echo "$job_flags $dbt_flags --webhook-url --webhook-header --webhook-events --webhook-enabled" \
        "--webhook-auth --webhook-auth-token-url --webhook-auth-username --webhook-auth-password --no-slack"
      ;;
    trigger) echo "$dbt_flags --command --wait -q --quiet --allow-empty --detach" ;;
    ls) echo "-s --select --exclude --selector --resource-type" ;;
    runs) echo "--project --job --status --trigger --since --until --limit --before" ;;
    "run show") echo "--nodes --status" ;;
    "run artifacts") echo "-O --output-file --force" ;;
    "webhook secret") echo "--rotate" ;;
    "webhook test") echo "--slack" ;;
    logs) echo "-f --follow" ;;
    retry) echo "--wait -q --quiet --allow-empty --detach" ;;
    watch) echo "--allow-empty -q --quiet" ;;
    "token create") echo "--name --expires-in --scope" ;;
    "webhook deliveries") echo "--limit" ;;
    ui) echo "--print-url" ;;
  esac
}

# _dagctl_positional PATH: what the command's positional argument is, or nothing.
_dagctl_positional() {
  case $1 in
    "project add") echo path ;;
    "project show" | "project update" | "project remove" | "job create") echo project ;;
    "job show" | "job update" | "job delete" | trigger | ls | "webhook secret" | "webhook deliveries" | "webhook test") echo job ;;
    "run show" | "run artifacts" | logs | watch | cancel | retry) echo run ;;
    "token revoke") echo token ;;
    "webhook redeliver") echo delivery ;;
  esac
}

# _dagctl_ask WHAT: names from the daemon, one a line: jobs as PROJECT/JOB, projects,
# runs (newest 50) or tokens (not revoked). Nothing at all when the daemon does not answer
# within two seconds. Uses the --socket given on the command line, if any.
_dagctl_ask() {
  local what=$1
  command -v python3 >/dev/null 2>&1 || return 0
  local -a cmd=("${COMP_WORDS[0]}" -o json)
  [ -n "$_dagctl_socket" ] && cmd+=(--socket "$_dagctl_socket")
  case $what in
    job | project) cmd+=(project list) ;;
    run) cmd+=(runs --limit 50) ;;
    token) cmd+=(token list) ;;
    *) return 0 ;;
  esac
  command -v timeout >/dev/null 2>&1 && cmd=(timeout 2 "${cmd[@]}")
  "${cmd[@]}" 2>/dev/null | python3 -c '
import json, sys
what = sys.argv[1]
try:
    d = json.load(sys.stdin)
    if what == "job":
        out = [p["name"] + "/" + j["name"] for p in d["projects"] for j in p["jobs"]]
    elif what == "project":
        out = [p["name"] for p in d["projects"]]
    elif what == "run":
        out = [r["id"] for r in d["runs"]]
    else:
        out = [t["id"] for t in d["tokens"] if not t.get("revoked_at")]
    for name in out:
        print(name)
except Exception:
    pass
' "$what" 2>/dev/null
}

# _dagctl_add WORDS...: adds to COMPREPLY the words that start with $cur (no expansion).
_dagctl_add() {
  local w
  for w in "$@"; do
    [[ $w == "$cur"* ]] && COMPREPLY+=("$w")
  done
  return 0
}

# _dagctl_add_from WHAT: the daemon's names for WHAT that start with $cur.
_dagctl_add_from() {
  local -a names
  mapfile -t names < <(_dagctl_ask "$1")
  _dagctl_add "${names[@]}"
}

_dagctl_files() {  # -f|-d: files (or only folders) for $cur
  local f
  while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen "$1" -- "$cur")
  compopt -o filenames 2>/dev/null
}

_dagctl_timezones() {
  local zoneinfo=/usr/share/zoneinfo
  [ -d "$zoneinfo" ] || return 0
  local z
  while IFS= read -r z; do
    case ${z#"$zoneinfo"/} in
      posix* | right* | *.tab | *.zi | leap* | tzdata*) continue ;;
    esac
    if [ -d "$z" ]; then
      COMPREPLY+=("${z#"$zoneinfo"/}/")
      compopt -o nospace 2>/dev/null
    else
      COMPREPLY+=("${z#"$zoneinfo"/}")
    fi
  done < <(compgen -f -- "$zoneinfo/$cur")
}

# _dagctl_values OPTION: completes the value of OPTION; returns 1 when it takes none.
_dagctl_values() {
  case $1 in
    -o | --output) _dagctl_add text json ;;
    --color) _dagctl_add auto always never ;;
    --status)
      # A comma list, as --webhook-events.
      local sprefix="" sword=$cur s
      case $cur in *,*) sprefix=${cur%,*}, sword=${cur##*,} ;; esac
      local -a statuses=(queued running success partial failed error cancelled)
      # run show --nodes --status: dbt's node statuses (docs/cli.md, Run details).
      [ "$path" == "run show" ] && statuses=(success error fail warn pass skipped no-op running interrupted)
      for s in "${statuses[@]}"; do
        [[ $s == "$sword"* ]] && COMPREPLY+=("$sprefix$s")
      done
      compopt -o nospace 2>/dev/null
      ;;
    --since | --until) _dagctl_add 1h 24h 7d 30d ;;
    --trigger)
      local tprefix="" tword=$cur t
      case $cur in *,*) tprefix=${cur%,*}, tword=${cur##*,} ;; esac
      for t in manual schedule retry; do
        [[ $t == "$tword"* ]] && COMPREPLY+=("$tprefix$t")
      done
      compopt -o nospace 2>/dev/null
      ;;
    -O | --output-file) _dagctl_files -f ;;
    --before) _dagctl_add_from run ;;
    --scope) _dagctl_add read trigger admin ;;
    --enabled | --catchup | --webhook-enabled) _dagctl_add true false ;;
    --webhook-auth) _dagctl_add none airflow_jwt basic ;;
    --airflow-assets) _dagctl_add off http://localhost:8080 ;;
    --webhook-events | --slack-events)
      # A comma list: complete the word after the last comma.
      local prefix="" word=$cur
      case $cur in *,*) prefix=${cur%,*}, word=${cur##*,} ;; esac
      local e
      for e in completed failed partial cancelled; do
        [[ $e == "$word"* ]] && COMPREPLY+=("$prefix$e")
      done
      compopt -o nospace 2>/dev/null
      ;;
    --socket | --dbt) _dagctl_files -f ;;
    --profiles-dir | --data-dir | --path) _dagctl_files -d ;;
    --timezone) _dagctl_timezones ;;
    --project) _dagctl_add_from project ;;
    --job) _dagctl_add_from job ;;
    --listen) _dagctl_add 127.0.0.1:8780 127.0.0.1:0 none ;;
    --sandbox) _dagctl_add auto on off ;;
    --warm) _dagctl_add on off ;;
    *) case $_dagctl_value_options in *" $1 "*) ;; *) return 1 ;; esac ;;
  esac
  return 0
}

_dagctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  local path="" positionals=0 i word subs _dagctl_socket=""
  # Walk the words before the cursor: the command path, option values, positionals.
  # bash splits --opt=value into "--opt" "=" "value" (= is in COMP_WORDBREAKS).
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --*=*) [ "${word%%=*}" == --socket ] && _dagctl_socket=${word#*=} ;;
      -*)
        case $_dagctl_value_options in
          *" $word "*)
            [ "${COMP_WORDS[i + 1]}" == = ] && ((i++))
            ((i + 1 < COMP_CWORD)) && [ "$word" == --socket ] && _dagctl_socket=${COMP_WORDS[i + 1]}
            ((i++))
            ;;
        esac
        ;;
      *)
        subs=$(_dagctl_subcommands "$path")
        if [ -n "$subs" ] && [[ " $subs " == *" $word "* ]]; then
          path=${path:+$path }$word
        else
          ((positionals++))
        fi
        ;;
    esac
  done

  # The value of an option: "--opt VALUE", "--opt=VALUE" in one word or split at the =.
  if [[ $cur == --*=* ]]; then
    local option=${cur%%=*}
    cur=${cur#*=}
    _dagctl_values "$option"
    return 0
  fi
  if [ "$cur" == = ] && [[ $prev == --* ]]; then
    cur=""
    _dagctl_values "$prev"
    return 0
  fi
  if [ "$prev" == = ] && ((COMP_CWORD > 2)) && [[ ${COMP_WORDS[COMP_CWORD - 2]} == --* ]]; then
    _dagctl_values "${COMP_WORDS[COMP_CWORD - 2]}"
    return 0
  fi
  if [[ $prev == -* ]] && ((COMP_CWORD > 1)) && _dagctl_values "$prev"; then
    return 0
  fi

  subs=$(_dagctl_subcommands "$path")
  if [[ $cur != -* ]]; then
    if [ -n "$subs" ]; then
      # shellcheck disable=SC2086 # a word list
      _dagctl_add $subs
      return 0
    fi
    local kind
    kind=$(_dagctl_positional "$path")
    if [ -n "$kind" ] && ((positionals == 0)); then
      case $kind in
        path) _dagctl_files -d ;;
        job | project | run | token) _dagctl_add_from "$kind" ;;
      esac
      return 0
    fi
    [ -n "$cur" ] && return 0
  fi
  # Options; the global ones are valid after any command too.
  # shellcheck disable=SC2046 # a word list
  _dagctl_add $(_dagctl_options "$path") --socket -o --output --color -h --help
  return 0
}

_dagctld() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  if [[ $cur == --*=* ]]; then
    prev=${cur%%=*}
    cur=${cur#*=}
  elif [ "$cur" == = ]; then
    cur=""
  elif [ "$prev" == = ] && ((COMP_CWORD > 2)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  case $prev in
    --data-dir) _dagctl_files -d; return 0 ;;
    --socket | --dbt | --sqlmesh | --webhook-ca-file | --config) _dagctl_files -f; return 0 ;;
    --listen) _dagctl_add 127.0.0.1:8780 127.0.0.1:0 none; return 0 ;;
    --log-level) _dagctl_add trace debug info warn error critical off; return 0 ;;
    --max-parallel | --stop-grace | --webhook-retries | --webhook-retry-delay | --webhook-timeout | --keep-days | --keep-runs) return 0 ;;
    --sandbox) _dagctl_add auto on off; return 0 ;;
    --sandbox-writable) _dagctl_files -d; return 0 ;;
    --warm) _dagctl_add on off; return 0 ;;
    --warm-idle) _dagctl_add 5m 30m 1h; return 0 ;;
    --openlineage-url | --openlineage-namespace) return 0 ;;
    --metrics-listen) _dagctl_add 127.0.0.1:9780 127.0.0.1:0 none; return 0 ;;
    --store) _dagctl_add sqlite:/// postgresql://; return 0 ;;
    --pass-env) mapfile -t COMPREPLY < <(compgen -e -- "$cur"); return 0 ;;
  esac
  _dagctl_add --data-dir --socket --listen --allow-remote --dbt --sqlmesh --max-parallel --log-level \
    --stop-grace --webhook-ca-file --webhook-retries --webhook-retry-delay --webhook-timeout --allow-webhook-link-local \
    --keep-days --keep-runs --sandbox --sandbox-writable --pass-env --warm --warm-idle --openlineage-url --openlineage-namespace --metrics-listen --store --config -h --help --version
  return 0
}

complete -F _dagctl dagctl
complete -F _dagctld dagctld
