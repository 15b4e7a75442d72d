#include "isolators/proc_stat.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace agora {

// "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
// stime cutime cstime priority nice threads itrealvalue starttime vsize rss": comm may hold
// spaces and parentheses, so fields are counted from the last ')'.
static std::optional<ProcStat> parseStat(pid_t pid, const std::string& line) {
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  ProcStat p;
  p.pid = pid;
  long long skip;
  rest >> p.state >> p.ppid >> p.pgrp >> p.session;
  for (int i = 0; i < 7; ++i) rest >> skip;  // tty_nr tpgid flags minflt cminflt majflt cmajflt
  rest >> p.utimeTicks >> p.stimeTicks;
  for (int i = 0; i < 5; ++i) rest >> skip;  // cutime cstime priority nice threads
  rest >> skip >> p.startTime >> skip >> p.rssPages;  // itrealvalue starttime vsize rss
  if (!rest || p.state == 'Z' || p.state == 'X') return std::nullopt;
  return p;
}

std::optional<ProcStat> readProcess(pid_t pid, const std::string& procRoot) {
  std::ifstream in(procRoot + "/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return parseStat(pid, line);
}

std::vector<ProcStat> listProcesses(const std::string& procRoot) {
  std::vector<ProcStat> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(procRoot, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    if (auto p = parseStat(std::stoi(name), line)) out.push_back(*p);
  }
  return out;
}

}  // namespace agora
