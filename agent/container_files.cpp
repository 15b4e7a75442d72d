#include "agent/container_files.hpp"

#include "common/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/json.hpp"
#include "isolators/proc_stat.hpp"

namespace agora {

using nlohmann::json;

static Try<json> readJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  Try<json> j = parseJson(text.str());
  if (j.isError() || !j->is_object()) return Error(path + " does not hold a JSON object");
  return j;
}

static json toJson(const ProbeSpec& p) {
  return json{{"kind", static_cast<int>(p.kind)}, {"argv", p.argv},       {"port", p.port},
              {"path", p.path},                   {"timeout_seconds", p.timeoutSeconds},
              {"ok_status_codes", p.okStatusCodes}};
}

static ProbeSpec probeFromJson(const json& j) {
  ProbeSpec p;
  int kind = j.at("kind");
  if (kind < 0 || kind > static_cast<int>(CheckKind::TCP)) throw std::out_of_range("unknown check kind");
  p.kind = static_cast<CheckKind>(kind);
  p.argv = j.at("argv").get<std::vector<std::string>>();
  p.port = j.at("port");
  p.path = j.at("path");
  p.timeoutSeconds = j.at("timeout_seconds");
  p.okStatusCodes = j.at("ok_status_codes").get<std::vector<uint16_t>>();
  return p;
}

Status writeSupervisorSpec(const std::string& dir, const SupervisorSpec& s) {
  json j{{"container_id", s.containerId},
         {"agent_endpoint", s.agentEndpoint},
         {"isolation", s.isolation},
         {"cgroups_root", s.isolatorOptions.cgroupsRoot},
         {"fs_root", s.isolatorOptions.fsRoot},
         {"cpu_hard_cap", s.isolatorOptions.cpuHardCap},
         {"cpus", s.limits.cpus},
         {"mem_bytes", s.limits.memBytes},
         {"pids_max", s.limits.pidsMax},
         {"argv", s.argv},
         {"environment", s.environment},
         {"sandbox", s.sandbox},
         {"log_max_bytes", s.logMaxBytes},
         {"log_keep", s.logKeep},
         {"agent_timeout_seconds", s.agentTimeoutSeconds},
         {"max_completion_time_seconds", s.maxCompletionTimeSeconds},
         {"kill_grace_period_seconds", s.killGracePeriodSeconds},
         {"user", s.user}};
  if (s.uid) j["uid"] = *s.uid;
  if (s.gid) j["gid"] = *s.gid;
  if (s.health)
    j["health_check"] = {{"probe", toJson(s.health->probe)},
                         {"delay_seconds", s.health->delaySeconds},
                         {"interval_seconds", s.health->intervalSeconds},
                         {"grace_period_seconds", s.health->gracePeriodSeconds},
                         {"max_consecutive_failures", s.health->maxConsecutiveFailures}};
  if (s.readiness)
    j["readiness_check"] = {{"probe", toJson(s.readiness->probe)}, {"interval_seconds", s.readiness->intervalSeconds}};
  // The master lets only UTF-8 through; anything else is replaced rather than thrown on.
  return writeFileDurably(dir + "/spec.json", j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Try<SupervisorSpec> readSupervisorSpec(const std::string& dir) {
  Try<json> j = readJsonFile(dir + "/spec.json");
  if (j.isError()) return Error(j.error());
  try {
    SupervisorSpec s;
    s.containerId = j->at("container_id");
    s.agentEndpoint = j->at("agent_endpoint");
    s.isolation = j->at("isolation");
    s.isolatorOptions.cgroupsRoot = j->at("cgroups_root");
    s.isolatorOptions.fsRoot = j->at("fs_root");
    s.isolatorOptions.cpuHardCap = j->at("cpu_hard_cap");
    s.limits.cpus = j->at("cpus");
    s.limits.cpuHardCap = s.isolatorOptions.cpuHardCap;
    s.limits.memBytes = j->at("mem_bytes");
    s.limits.pidsMax = j->at("pids_max");
    s.argv = j->at("argv").get<std::vector<std::string>>();
    s.environment = j->at("environment").get<std::map<std::string, std::string>>();
    s.sandbox = j->at("sandbox");
    s.logMaxBytes = j->at("log_max_bytes");
    s.logKeep = j->at("log_keep");
    s.agentTimeoutSeconds = j->at("agent_timeout_seconds");
    // Specs written by an older agent have none of these.
    s.maxCompletionTimeSeconds = j->value("max_completion_time_seconds", 0.0);
    s.killGracePeriodSeconds = j->value("kill_grace_period_seconds", 3.0);
    s.user = j->value("user", "");
    if (j->contains("uid")) s.uid = j->at("uid").get<uint32_t>();
    if (j->contains("gid")) s.gid = j->at("gid").get<uint32_t>();
    if (j->contains("health_check")) {
      const json& h = j->at("health_check");
      s.health = HealthCheckSpec{probeFromJson(h.at("probe")), h.at("delay_seconds"), h.at("interval_seconds"),
                                 h.at("grace_period_seconds"), h.at("max_consecutive_failures")};
    }
    if (j->contains("readiness_check")) {
      const json& r = j->at("readiness_check");
      s.readiness = ReadinessCheckSpec{probeFromJson(r.at("probe")), r.at("interval_seconds")};
    }
    if (s.argv.empty()) return Error(dir + "/spec.json has an empty argv");
    return s;
  } catch (const std::exception& e) {
    return Error(dir + "/spec.json: " + e.what());
  }
}

Status writeExitRecord(const std::string& dir, const ExitRecord& r) {
  return writeFileDurably(dir + "/exit.json",
                          json{{"wait_status", r.waitStatus},
                               {"launch_error", r.launchError},
                               {"limit", r.limit},
                               {"limit_message", r.limitMessage}}
                              .dump(-1, ' ', false, json::error_handler_t::replace));
}

Try<std::optional<ExitRecord>> readExitRecord(const std::string& dir) {
  std::string path = dir + "/exit.json";
  if (!std::filesystem::exists(path)) return std::optional<ExitRecord>();
  Try<json> j = readJsonFile(path);
  if (j.isError()) return Error(j.error());
  try {
    return std::optional<ExitRecord>(
        ExitRecord{j->at("wait_status"), j->at("launch_error"), j->value("limit", ""), j->value("limit_message", "")});
  } catch (const json::exception& e) {
    return Error(path + ": " + e.what());
  }
}

Status writeSupervisorIdentity(const std::string& dir, const ProcessIdentity& who) {
  return writeFileDurably(dir + "/supervisor.json", json{{"pid", who.pid}, {"start_time", who.startTime}}.dump());
}

std::optional<ProcessIdentity> readSupervisorIdentity(const std::string& dir) {
  Try<json> j = readJsonFile(dir + "/supervisor.json");
  if (j.isError()) return std::nullopt;
  try {
    return ProcessIdentity{j->at("pid"), j->at("start_time")};
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::optional<ProcessIdentity> identify(pid_t pid) {
  auto stat = readProcess(pid);
  if (!stat) return std::nullopt;
  return ProcessIdentity{pid, stat->startTime};
}

bool isAlive(const ProcessIdentity& who) {
  if (who.pid <= 0) return false;
  auto now = identify(who.pid);
  return now && now->startTime == who.startTime;
}

}  // namespace agora
