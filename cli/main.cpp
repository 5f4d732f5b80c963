#include "cli/app.hpp"

int main(int argc, char** argv) { return dagctl::cli::run(argc, argv); }
