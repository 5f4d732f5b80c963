#!/usr/bin/env bash
# The Debian package (packaging/Package.cmake) as a user installs it: cpack builds it from
# this build; it holds the programs, man pages, completions and the systemd user unit under
# /usr, depends on the shared libraries the programs load, and its stripped programs run:
# the packaged dagctld serves the packaged dagctl. The unit passes systemd-analyze verify.
# Environment: as lib.sh, plus DAGCTL_BUILD_DIR (the CMake build folder).
source "$(dirname "$0")/../integration/lib.sh"
[ -f "${DAGCTL_BUILD_DIR:-}/CPackConfig.cmake" ] || fail "DAGCTL_BUILD_DIR has no CPackConfig.cmake: configure the build first"

cd "$TEST_TMP"
out=$(cpack --config "$DAGCTL_BUILD_DIR/CPackConfig.cmake" -B "$TEST_TMP/pkg" 2>&1) || fail "cpack failed: $out"
deb=$(ls "$TEST_TMP"/pkg/dagctl_*_amd64.deb "$TEST_TMP"/pkg/dagctl_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || fail "cpack made no .deb: $out"
pass "cpack builds $(basename "$deb")"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/dagctl ./usr/bin/dagctld ./usr/share/man/man1/dagctl.1 ./usr/share/man/man8/dagctld.8 \
  ./usr/share/bash-completion/completions/dagctl ./usr/share/zsh/vendor-completions/_dagctl \
  ./usr/share/fish/vendor_completions.d/dagctl.fish ./usr/lib/systemd/user/dagctld.service; do
  grep -qxF "$f" <<<"$files" || fail "the package lacks $f: $files"
done
pass "it holds the programs, man pages, completions and the systemd user unit under /usr"
info=$(dpkg-deb -f "$deb" Package Version Depends)
assert_contains "$info" "Package: dagctl" "the package is named dagctl"
assert_contains "$info" "Version: $("$DAGCTL_BIN_DIR/dagctl" --version)" "its version is the programs' version"
for lib in libsqlite3-0 libssl3 libspdlog libfmt libcpp-httplib libyaml-cpp libstdc++6; do
  assert_contains "$info" "$lib" "it depends on $lib (dpkg-shlibdeps)"
done

root="$TEST_TMP/root"
dpkg -x "$deb" "$root"
unit="$root/usr/lib/systemd/user/dagctld.service"
assert_eq "ExecStart=/usr/bin/dagctld" "$(grep '^ExecStart=' "$unit")" "the unit starts /usr/bin/dagctld"
file "$root/usr/bin/dagctld" | grep -q 'not stripped' && fail "the packaged dagctld is not stripped"
pass "the packaged programs are stripped"

# The packaged programs work together (stripped, loading the system's libraries).
"$root/usr/bin/dagctld" --data-dir "$DATA" --socket "$SOCK" --listen none >>"$TEST_TMP/dagctld.log" 2>&1 &
DAEMON_PID=$!
wait_for "the packaged dagctld to be ready" 20 test -s "$DATA/dagctld.json" || fail "the packaged dagctld did not start"
assert_contains "$("$root/usr/bin/dagctl" --socket "$SOCK" status)" "dagctld $("$root/usr/bin/dagctl" --version) running" \
  "the packaged dagctl talks to the packaged dagctld"
stop_daemon
assert_eq 0 "$DAEMON_RC" "and it stops cleanly on SIGTERM"

if command -v systemd-analyze >/dev/null; then
  # verify wants ExecStart to exist and the Documentation= man pages to be found.
  sed "s|^ExecStart=/usr/bin/dagctld|ExecStart=$root/usr/bin/dagctld|" "$unit" >"$TEST_TMP/dagctld.service"
  verdict=$(MANPATH="$root/usr/share/man" systemd-analyze verify "$TEST_TMP/dagctld.service" 2>&1) ||
    fail "systemd-analyze verify refuses the unit: $verdict"
  assert_eq "" "$verdict" "systemd-analyze verify accepts the unit without a warning"
else
  echo "# systemd-analyze is not installed: the unit's syntax was not verified"
fi
finish
