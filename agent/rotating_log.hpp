#pragma once
// A task's stdout or stderr in its sandbox, capped in size. When a write would take the file
// past maxBytes, the file becomes <name>.1 (older ones shift to .2 ... up to `keep`, the
// oldest is dropped) and writing goes on in a fresh file, so a chatty task can never fill
// the agent's disk.

#include <cstdint>
#include <string>

#include "common/try.hpp"

namespace agora {

class RotatingLog {
 public:
  // maxBytes 0: no cap. keep: how many rotated files to keep (0: rotated content is dropped).
  RotatingLog(std::string path, uint64_t maxBytes, int keep);
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;

  // Creates the file (if needed) so that it exists before anything is written.
  Status open();
  Status append(const char* data, size_t size);

 private:
  Status rotate();
  Status writeAll(const char* data, size_t size);

  std::string path_;
  uint64_t maxBytes_;
  int keep_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace agora
