#include "daemon/app/daemon.hpp"

int main(int argc, char** argv) { return dagctl::daemon::app::run(argc, argv); }
