# CPack: a Debian package of what `cmake --install` installs (the programs, man pages,
# shell completions and the systemd user unit), with its library dependencies worked out
# by dpkg-shlibdeps. Build it with `cpack --config BUILD/CPackConfig.cmake` (or the
# `package` target); tests/packaging checks it.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dagctl)
set(CPACK_PACKAGE_VENDOR "dagctl")
set(CPACK_PACKAGE_CONTACT "dagctl developers <dagctl@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Trigger dbt runs from a terminal, cron and Airflow through a local daemon")
set(CPACK_PACKAGE_DESCRIPTION
    "dagctld keeps projects, jobs, runs and webhook deliveries in SQLite, runs dbt as subprocesses, serves a REST API on localhost and a Unix socket, and fires signed webhooks (Airflow 2 and 3). dagctl is its command-line client. dbt itself is not included: point dagctld --dbt at the dbt of a virtualenv.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, python3-venv")
include(CPack)
