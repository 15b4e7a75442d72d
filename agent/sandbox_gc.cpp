#include "agent/sandbox_gc.hpp"

#include <sys/statvfs.h>

#include <algorithm>

#include <glog/logging.h>

namespace agora {

namespace fs = std::filesystem;

namespace {

// The last time anything happened in the sandbox: its directory or its task's output.
fs::file_time_type lastActivity(const fs::path& sandbox) {
  std::error_code ec;
  fs::file_time_type latest = fs::last_write_time(sandbox, ec);
  for (const char* name : {"stdout", "stderr"}) {
    auto t = fs::last_write_time(sandbox / name, ec);
    if (!ec) latest = std::max(latest, t);
  }
  return latest;
}

}  // namespace

std::vector<std::string> collectSandboxes(const std::string& sandboxesDir, const std::set<std::string>& inUse,
                                          fs::file_time_type now, const SandboxGcPolicy& policy,
                                          const std::function<double()>& diskUsage) {
  std::vector<std::pair<fs::file_time_type, fs::path>> finished;
  std::error_code ec;
  for (const auto& framework : fs::directory_iterator(sandboxesDir, ec))
    for (const auto& sandbox : fs::directory_iterator(framework.path(), ec))
      if (sandbox.is_directory() && !inUse.count(sandbox.path().string()))
        finished.emplace_back(lastActivity(sandbox.path()), sandbox.path());
  std::sort(finished.begin(), finished.end());
  std::vector<std::string> removed;
  for (const auto& [at, path] : finished) {
    bool old = now - at >= policy.maxAge;
    bool diskFull = diskUsage() > policy.maxDiskUsage;
    if (!old && !diskFull) break;  // the rest are younger still
    fs::remove_all(path, ec);
    if (ec) {
      LOG(WARNING) << "Cannot remove sandbox " << path.string() << ": " << ec.message();
      continue;
    }
    fs::remove(path.parent_path(), ec);  // the framework's directory, once empty
    removed.push_back(path.string());
  }
  return removed;
}

double diskUsage(const std::string& path) {
  struct statvfs s;
  if (statvfs(path.c_str(), &s) != 0 || s.f_blocks == 0) return 0;
  return 1.0 - static_cast<double>(s.f_bavail) / static_cast<double>(s.f_blocks);
}

}  // namespace agora
