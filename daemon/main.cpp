#include "daemon/daemon.hpp"

int main(int argc, char** argv) { return dagctl::daemon::run(argc, argv); }
