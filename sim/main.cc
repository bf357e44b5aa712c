#include <cstdio>

#include "kasim/cli.h"

int main(int argc, char** argv) { return kasim::run_cli(argc, argv, stdout, stderr); }
