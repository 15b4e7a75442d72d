#pragma once
// Running the `agora` tool from tests as a user would, with its output captured.

#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/process.hpp"

namespace agora::testing {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `agora ARGS...` with its output in a log under `dir`; returns (exit code, output).
inline std::pair<int, std::string> agora(const std::string& dir, std::vector<std::string> args) {
  static int n = 0;
  args.insert(args.begin(), AGORA_CLI_BIN);
  std::string log = dir + "/cli-" + std::to_string(++n) + ".log";
  auto p = Process::start(args, log);
  if (p.isError()) return {-1, p.error()};
  int status = p->wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(log)};
}

}  // namespace agora::testing
