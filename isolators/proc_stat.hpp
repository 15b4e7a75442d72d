#pragma once
// The processes of the machine as /proc shows them: the posix isolator's accounting, and the
// way to find every process of a session when no cgroup holds them.

#include <sys/types.h>

#include <optional>
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
  uint64_t startTime = 0;  // clock ticks after boot: with the pid, names one process for good
};

// One live process (zombies excluded), or nothing if it is gone.
std::optional<ProcStat> readProcess(pid_t pid, const std::string& procRoot = "/proc");

// Every live process (zombies excluded).
std::vector<ProcStat> listProcesses(const std::string& procRoot = "/proc");

}  // namespace agora
