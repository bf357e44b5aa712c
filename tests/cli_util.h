// Helpers for tests that drive the command line through run_cli(): captured
// streams, temporary directories, whole-file reads and writes.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "kasim/cli.h"

namespace kasim::test {

struct CliResult {
  int code;
  std::string out, err;
};

inline std::string slurp(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

inline CliResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), "kasim");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  CliResult r{code, slurp(out), slurp(err)};
  std::fclose(out);
  std::fclose(err);
  return r;
}

// A fresh directory, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() / ("kasim-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string read_text(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace kasim::test
