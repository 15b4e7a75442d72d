#pragma once
// The processes of the machine as /proc shows them: the posix isolator's accounting, and the
// way to find every process of a session when no cgroup holds them.

#include <sys/types.h>

#include <string>
#include <vector>

namespace agora {

struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
  char state = '?';
  uint64_t utimeTicks = 0;
  uint64_t stimeTicks = 0;
  uint64_t rssPages = 0;
};

// Every live process (zombies excluded).
std::vector<ProcStat> listProcesses(const std::string& procRoot = "/proc");

}  // namespace agora
