#pragma once
// Reading and writing cgroup control files, and finding where this process sits in each
// hierarchy. Every path starts at an fsRoot ("/" for real), so that tests can lay out a
// temporary directory like cgroupfs and watch the files the kernel would see.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora::cgroups {

Try<std::string> readFile(const std::string& path);
Status writeFile(const std::string& path, const std::string& value);
Try<uint64_t> readNumber(const std::string& path);
// "key value" lines (memory.events, memory.oom_control, cpu.stat) as a map.
Try<std::map<std::string, uint64_t>> readKeyValues(const std::string& path);

Status makeDir(const std::string& path);
// rmdir; on a real cgroupfs the control files go with the directory.
Status removeDir(const std::string& path);
std::vector<pid_t> processes(const std::string& dir);
std::vector<std::string> subdirectories(const std::string& dir);

struct Layout {
  // v1: controller -> mount point (already prefixed with fsRoot).
  std::map<std::string, std::string> v1Mounts;
  std::optional<std::string> v2Mount;
  // controller -> this process's cgroup in it; "" is the unified (v2) hierarchy.
  std::map<std::string, std::string> own;
};

Layout readLayout(const std::string& fsRoot);

// Removes `root` (a cgroups root below this process's own cgroup) from every hierarchy, v1
// and v2, where it exists and is empty: for whoever started agents with that root.
void removeRootEverywhere(const std::string& fsRoot, const std::string& root);

}  // namespace agora::cgroups
