// Atomic output files: write to a temporary file beside the target, then
// rename over it on commit. An interrupted or failed run leaves the target
// as it was (absent or the previous complete version), never truncated.
#pragma once

#include <cstdio>
#include <string>

namespace kasim {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile();  // discards the temporary file unless committed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Creates the temporary file; false with *why on failure.
  bool open(const std::string& path, std::string* why);
  std::FILE* stream() { return f_; }
  // Flushes, closes and renames into place; false with *why on failure.
  bool commit(std::string* why);

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

}  // namespace kasim
