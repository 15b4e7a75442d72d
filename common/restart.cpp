#include "common/restart.hpp"

#include <cstdlib>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <glog/logging.h>

namespace agora {

void restartSelf(const std::vector<std::string>& args) {
  // Descriptors opened without close-on-exec (sockets of libraries) must not outlive the image.
  if (DIR* fds = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(fds);
    while (dirent* e = ::readdir(fds)) {
      int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != own) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::closedir(fds);
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  PLOG(FATAL) << "Cannot start afresh as a standby";
  std::abort();
}

}  // namespace agora
