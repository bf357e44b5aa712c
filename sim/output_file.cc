#include "kasim/output_file.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

namespace kasim {

OutputFile::~OutputFile() {
  if (f_ != nullptr) std::fclose(f_);
  if (!committed_ && !tmp_.empty()) std::remove(tmp_.c_str());
}

bool OutputFile::open(const std::string& path, std::string* why) {
  path_ = path;
  tmp_ = fmt::format("{}.tmp-{}", path, ::getpid());
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (f_ == nullptr) {
    *why = std::strerror(errno);
    tmp_.clear();
    return false;
  }
  return true;
}

bool OutputFile::commit(std::string* why) {
  bool ok = std::fflush(f_) == 0 && !std::ferror(f_);
  int err = errno;
  if (std::fclose(f_) != 0 && ok) {
    ok = false;
    err = errno;
  }
  f_ = nullptr;
  if (!ok) {
    *why = std::strerror(err);
    return false;
  }
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    *why = std::strerror(errno);
    return false;
  }
  committed_ = true;
  return true;
}

}  // namespace kasim
