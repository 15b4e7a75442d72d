#include "isolators/cgroup_fs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace agora::cgroups {

namespace fs = std::filesystem;

Try<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Status writeFile(const std::string& path, const std::string& value) {
  // One write(2) call: the kernel parses each write of a control file on its own.
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return Error("cannot open " + path + " to write '" + value + "': " + std::strerror(errno));
  size_t n = std::fwrite(value.data(), 1, value.size(), f);
  int flushed = std::fflush(f);
  int err = errno;
  std::fclose(f);
  if (n != value.size() || flushed != 0)
    return Error("cannot write '" + value + "' to " + path + ": " + std::strerror(err));
  return Status::OK();
}

Try<uint64_t> readNumber(const std::string& path) {
  Try<std::string> text = readFile(path);
  if (text.isError()) return Error(text.error());
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return Error(path + " does not hold a number: '" + *text + "'");
  }
}

Try<std::map<std::string, uint64_t>> readKeyValues(const std::string& path) {
  Try<std::string> text = readFile(path);
  if (text.isError()) return Error(text.error());
  std::map<std::string, uint64_t> out;
  std::istringstream in(*text);
  std::string key;
  uint64_t value;
  while (in >> key >> value) out[key] = value;
  return out;
}

Status makeDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Error("cannot create cgroup " + path + ": " + ec.message());
  return Status::OK();
}

Status removeDir(const std::string& path) {
  if (rmdir(path.c_str()) == 0 || errno == ENOENT) return Status::OK();
  if (errno == ENOTEMPTY) {
    // Only a plain directory laid out like cgroupfs (tests) holds files rmdir will not take.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file()) fs::remove(e.path(), ec);
    if (rmdir(path.c_str()) == 0) return Status::OK();
  }
  return Error("cannot remove cgroup " + path + ": " + std::strerror(errno));
}

std::vector<pid_t> processes(const std::string& dir) {
  std::vector<pid_t> out;
  std::ifstream in(dir + "/cgroup.procs");
  pid_t pid;
  while (in >> pid) out.push_back(pid);
  return out;
}

std::vector<std::string> subdirectories(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  return out;
}

Layout readLayout(const std::string& fsRoot) {
  std::string root = fsRoot == "/" ? "" : fsRoot;
  Layout layout;
  std::ifstream mounts(root + "/proc/self/mounts");
  std::string device, point, type, options, rest;
  while (mounts >> device >> point >> type >> options) {
    std::getline(mounts, rest);
    if (type == "cgroup2") {
      layout.v2Mount = root + point;
    } else if (type == "cgroup") {
      std::istringstream opts(options);
      std::string opt;
      while (std::getline(opts, opt, ','))
        if (opt != "rw" && opt != "ro" && opt.find('=') == std::string::npos && opt.find("relatime") == std::string::npos &&
            opt != "nosuid" && opt != "nodev" && opt != "noexec")
          layout.v1Mounts.emplace(opt, root + point);
    }
  }
  std::ifstream cgroup(root + "/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroup, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers.empty()) { layout.own[""] = path; continue; }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) layout.own[name] = path;
  }
  return layout;
}

void removeRootEverywhere(const std::string& fsRoot, const std::string& root) {
  Layout layout = readLayout(fsRoot);
  auto below = [&](const std::string& mount, const std::string& key) {
    std::string own = layout.own.count(key) ? layout.own.at(key) : "/";
    return mount + (own == "/" ? "" : own) + "/" + root;
  };
  for (const auto& [controller, mount] : layout.v1Mounts) (void)removeDir(below(mount, controller));
  if (layout.v2Mount) (void)removeDir(below(*layout.v2Mount, ""));
}

}  // namespace agora::cgroups
