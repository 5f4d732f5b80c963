# cached_venv NAME REQUIREMENTS EXECUTABLE: creates (or reuses) a virtualenv holding the
# pinned packages of REQUIREMENTS and prints the absolute path of its bin/EXECUTABLE.
# Sourced by scripts/setup-*.
#
# The venv is cached outside the repository, keyed by the requirements file's content:
#   ${DAGCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dagctl}/venv-NAME-<sha256[:12]>
# It is built in a temporary directory next to that path and renamed into place only
# after pip succeeded, so a half-built venv is never reused.
# stdout: only the path. Progress goes to stderr.
# Environment: DAGCTL_CACHE_DIR, XDG_CACHE_HOME, DAGCTL_PYTHON (default: python3).
cached_venv() {
  local name=$1 req=$2 exe_name=$3
  local python=${DAGCTL_PYTHON:-python3}
  log() { printf 'setup-%s: %s\n' "$name" "$*" >&2; }

  [[ -f "$req" ]] || { log "requirements file not found: $req"; return 1; }

  local cache_dir=${DAGCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dagctl}
  mkdir -p -- "$cache_dir"
  cache_dir=$(cd -- "$cache_dir" && pwd -P)

  local hash venv exe
  hash=$(sha256sum -- "$req" | cut -c1-12)
  venv="$cache_dir/venv-$name-$hash"
  exe="$venv/bin/$exe_name"

  # Fast path: an existing venv is complete by construction (it only appears by rename).
  # -x follows symlinks, so a venv whose base interpreter disappeared is rebuilt.
  if [[ -x "$exe" && -x "$venv/bin/python" ]]; then
    printf '%s\n' "$exe"
    return 0
  fi

  if [[ -e "$venv" ]]; then
    log "removing broken venv $venv"
    rm -rf -- "$venv"
  fi

  # Leftovers of builds that were killed long ago.
  find "$cache_dir" -maxdepth 1 -name "venv-$name-*.tmp.*" -mmin +120 -exec rm -rf -- {} + 2>/dev/null || true

  _venv_tmp=$(mktemp -d "$venv.tmp.XXXXXX")
  trap '[[ -n "${_venv_tmp:-}" && -d "$_venv_tmp" ]] && rm -rf -- "$_venv_tmp"; true' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local tmp=$_venv_tmp

  log "creating venv in $tmp (from $req)"
  "$python" -m venv --prompt "venv-$name-$hash" -- "$tmp" >&2
  "$tmp/bin/python" -m pip install --no-input --disable-pip-version-check --progress-bar off -r "$req" >&2
  [[ -x "$tmp/bin/$exe_name" ]] || { log "pip did not install $exe_name"; return 1; }

  # Scripts written by venv/pip embed the absolute build path; point them at the final
  # location before the rename.
  sed_escape() { printf '%s' "$1" | sed -e 's/[][\\/.^$*|&]/\\&/g'; }
  local sed_expr
  sed_expr="s/$(sed_escape "$tmp")/$(sed_escape "$venv")/g"
  grep -rlIF -- "$tmp" "$tmp/bin" "$tmp/pyvenv.cfg" | while IFS= read -r f; do
    sed -i -e "$sed_expr" -- "$f"
  done

  # Atomic publish. If another setup won the race, its venv is kept and ours dropped.
  if mv -T -- "$tmp" "$venv" 2>/dev/null; then
    _venv_tmp=
    log "venv ready: $venv"
  elif [[ -x "$exe" ]]; then
    log "venv was created concurrently; using $venv"
  else
    log "could not move $tmp to $venv"
    return 1
  fi
  printf '%s\n' "$exe"
}
