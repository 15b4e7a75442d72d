#include "common/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <glog/logging.h>

namespace agora {

int blockSignalsToFd(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  PCHECK(pthread_sigmask(SIG_BLOCK, &mask, nullptr) == 0) << "pthread_sigmask";
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  PCHECK(fd >= 0) << "signalfd";
  return fd;
}

int readSignal(int fd) {
  signalfd_siginfo info;
  ssize_t n = read(fd, &info, sizeof info);
  return n == static_cast<ssize_t>(sizeof info) ? static_cast<int>(info.ssi_signo) : 0;
}

}  // namespace agora
