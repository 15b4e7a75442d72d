#include "agent/rotating_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace agora {

RotatingLog::RotatingLog(std::string path, uint64_t maxBytes, int keep)
    : path_(std::move(path)), maxBytes_(maxBytes), keep_(keep) {}

RotatingLog::~RotatingLog() {
  if (fd_ >= 0) close(fd_);
}

Status RotatingLog::open() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Error("cannot open " + path_ + ": " + std::strerror(errno));
  struct stat st;
  size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return Status::OK();
}

Status RotatingLog::rotate() {
  close(fd_);
  fd_ = -1;
  if (keep_ <= 0) {
    if (unlink(path_.c_str()) != 0 && errno != ENOENT) return Error("cannot remove " + path_ + ": " + std::strerror(errno));
  } else {
    for (int i = keep_ - 1; i >= 1; --i)
      std::rename((path_ + "." + std::to_string(i)).c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
    if (std::rename(path_.c_str(), (path_ + ".1").c_str()) != 0)
      return Error("cannot rotate " + path_ + ": " + std::strerror(errno));
  }
  return open();
}

Status RotatingLog::writeAll(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error("cannot write " + path_ + ": " + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Status RotatingLog::append(const char* data, size_t size) {
  if (fd_ < 0) {
    Status opened = open();
    if (!opened.ok()) return opened;
  }
  while (size > 0) {
    if (maxBytes_ > 0 && size_ >= maxBytes_) {
      Status rotated = rotate();
      if (!rotated.ok()) return rotated;
    }
    size_t room = maxBytes_ == 0 ? size : static_cast<size_t>(std::min<uint64_t>(size, maxBytes_ - size_));
    Status written = writeAll(data, room);
    if (!written.ok()) return written;
    data += room;
    size -= room;
  }
  return Status::OK();
}

}  // namespace agora
