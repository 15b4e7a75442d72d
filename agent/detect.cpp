#include "agent/detect.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

namespace agora {

static double memoryMiB() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  while (in >> key >> kib) {
    if (key == "MemTotal:") return kib / 1024.0;
    in.ignore(256, '\n');
  }
  return 0;
}

static double diskMiB(const std::string& dir) {
  struct statvfs s;
  if (statvfs(dir.c_str(), &s) != 0) return 0;
  return static_cast<double>(s.f_bavail) * static_cast<double>(s.f_frsize) / (1024.0 * 1024.0);
}

Try<Resources> detectResources(const std::string& workDir, const std::string& overrides) {
  Try<Resources> given = Resources::parse(overrides);
  if (given.isError()) return Error("--resources: " + given.error());
  // Leave the machine some memory and disk of its own, as Mesos does.
  double mem = memoryMiB();
  mem = std::floor(mem - std::min(1024.0, mem / 2));
  double disk = diskMiB(workDir);
  disk = std::floor(disk - std::min(5120.0, disk / 2));
  Resources detected;
  Status s = detected.add(Resource::scalar("cpus", std::max(1u, std::thread::hardware_concurrency())));
  if (mem > 0) s = detected.add(Resource::scalar("mem", mem));
  if (disk > 0) s = detected.add(Resource::scalar("disk", disk));
  s = detected.add(Resource::range("ports", {{31000, 32000}}));
  Resources out;
  std::set<std::string> overridden = given->names();
  for (const Resource& r : detected.items())
    if (!overridden.count(r.name)) s = out.add(r);
  out += *given;
  return out;
}

std::string detectHostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace agora
