find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(SQLiteCpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(date REQUIRED)  # libhowardhinnant-date-dev: IANA zones for schedules
find_package(yaml-cpp REQUIRED)  # libyaml-cpp-dev: the project checks read dbt's YAML
# Debian's cpp-httplib is a compiled library without a CMake config. Its pkg-config file
# carries the CPPHTTPLIB_* defines; every file that includes httplib.h must see them or
# the class layouts differ from the library's and it crashes. Hence the IMPORTED_TARGET.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# libpqxx-dev (6.4 on Debian 12): the PostgreSQL store (docs/scale-out.md). Its pkg-config
# file brings libpq too.
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
