#include "common/codec.hpp"

#include "common/text.hpp"

namespace agora::codec {

size_t count(const Resources& r) { return r.items().size(); }
size_t count(const Attributes& a) { return a.size(); }

void write(const Resources& in, capnp::List<proto::Resource>::Builder out) {
  unsigned i = 0;
  for (const Resource& r : in.items()) {
    auto b = out[i++];
    b.setName(r.name);
    b.setRole(r.role);
    switch (r.type) {
      case Resource::Type::kScalar: b.setScalar(r.milli); break;
      case Resource::Type::kRanges: {
        auto list = b.initRanges(static_cast<unsigned>(r.ranges.size()));
        for (unsigned j = 0; j < r.ranges.size(); ++j) {
          list[j].setBegin(r.ranges[j].begin);
          list[j].setEnd(r.ranges[j].end);
        }
        break;
      }
      case Resource::Type::kSet: {
        auto list = b.initSet(static_cast<unsigned>(r.items.size()));
        unsigned j = 0;
        for (const auto& s : r.items) list.set(j++, s);
        break;
      }
    }
  }
}

Try<Resources> read(capnp::List<proto::Resource>::Reader in) {
  Status length = checkLength("resource list", in.size(), kMaxResources);
  if (!length.ok()) return Error(length.error());
  std::vector<Resource> list;
  list.reserve(in.size());
  for (auto r : in) {
    Resource& x = list.emplace_back();
    x.name = r.getName();
    x.role = r.getRole();
    if (x.role.empty()) x.role.push_back('*');  // not = "*": GCC 12 warns falsely (-Wrestrict)
    switch (r.which()) {
      case proto::Resource::SCALAR:
        x.milli = r.getScalar();
        break;
      case proto::Resource::RANGES: {
        auto ranges = r.getRanges();
        Status n = checkLength("ranges of resource '" + x.name + "'", ranges.size(), kMaxRanges);
        if (!n.ok()) return Error(n.error());
        x.type = Resource::Type::kRanges;
        for (auto range : ranges) x.ranges.push_back({range.getBegin(), range.getEnd()});
        break;
      }
      case proto::Resource::SET: {
        auto items = r.getSet();
        Status n = checkLength("items of resource '" + x.name + "'", items.size(), kMaxRanges);
        if (!n.ok()) return Error(n.error());
        x.type = Resource::Type::kSet;
        for (auto s : items) x.items.insert(s);
        break;
      }
    }
  }
  return Resources::fromList(std::move(list));
}

Status checkLength(const std::string& what, size_t length, size_t limit) {
  if (length <= limit) return Status::OK();
  return Error(what + " has " + std::to_string(length) + " entries; the limit is " + std::to_string(limit));
}

void write(const Attributes& in, capnp::List<proto::Attribute>::Builder out) {
  unsigned i = 0;
  for (const auto& [k, v] : in) {
    out[i].setName(k);
    out[i].setValue(v);
    ++i;
  }
}

Try<Attributes> read(capnp::List<proto::Attribute>::Reader in) {
  Status length = checkLength("attribute list", in.size(), kMaxAttributes);
  if (!length.ok()) return Error(length.error());
  Attributes out;
  for (auto a : in) {
    std::string name = a.getName(), value = a.getValue();
    Status n = checkText("attribute name", name, kMaxNameBytes);
    if (!n.ok()) return Error(n.error());
    Status v = checkText("value of attribute '" + name + "'", value, kMaxLabelBytes);
    if (!v.ok()) return Error(v.error());
    out[name] = value;
  }
  return out;
}

void write(const AgentInfo& in, proto::AgentInfo::Builder out) {
  out.setId(in.id);
  out.setHostname(in.hostname);
  AGORA_CODEC_INIT(out, Resources, in.resources);
  AGORA_CODEC_INIT(out, Attributes, in.attributes);
  out.setHttpPort(in.httpPort);
  out.setIsolation(in.isolation);
  out.setHttpHost(in.httpHost);
  out.setHttpTls(in.httpTls);
}

Try<AgentInfo> read(proto::AgentInfo::Reader in) {
  AgentInfo out;
  out.id = in.getId();
  out.hostname = in.getHostname();
  Try<Resources> r = read(in.getResources());
  if (r.isError()) return Error(r.error());
  out.resources = *r;
  Try<Attributes> attributes = read(in.getAttributes());
  if (attributes.isError()) return Error(attributes.error());
  out.attributes = *attributes;
  out.httpPort = in.getHttpPort();
  out.isolation = in.getIsolation();
  out.httpHost = in.getHttpHost();
  out.httpTls = in.getHttpTls();
  for (const auto& [what, text] : {std::pair<const char*, const std::string&>{"agent id", out.id},
                                   {"hostname", out.hostname},
                                   {"isolation", out.isolation},
                                   {"HTTP host", out.httpHost}}) {
    Status valid = checkText(what, text, kMaxNameBytes);
    if (!valid.ok()) return Error(valid.error());
  }
  return out;
}

void write(const FrameworkInfo& in, proto::FrameworkInfo::Builder out) {
  out.setId(in.id);
  out.setName(in.name);
  out.setPrincipal(in.principal);
  auto roles = out.initRoles(static_cast<unsigned>(in.roles.size()));
  for (unsigned i = 0; i < in.roles.size(); ++i) roles.set(i, in.roles[i]);
  out.setFailoverTimeoutSeconds(in.failoverTimeoutSeconds);
  auto caps = out.initCapabilities(static_cast<unsigned>(in.capabilities.size()));
  for (unsigned i = 0; i < in.capabilities.size(); ++i) caps.set(i, in.capabilities[i]);
  out.setHostname(in.hostname);
  out.setWebuiUrl(in.webuiUrl);
}

FrameworkInfo read(proto::FrameworkInfo::Reader in) {
  FrameworkInfo out;
  out.id = in.getId();
  out.name = in.getName();
  out.principal = in.getPrincipal();
  out.roles.clear();
  for (auto r : in.getRoles()) out.roles.push_back(r);
  out.failoverTimeoutSeconds = in.getFailoverTimeoutSeconds();
  for (auto c : in.getCapabilities()) out.capabilities.push_back(c);
  out.hostname = in.getHostname();
  out.webuiUrl = in.getWebuiUrl();
  return out;
}

static void writeLabels(const Labels& in, capnp::List<proto::Label>::Builder out) {
  unsigned i = 0;
  for (const auto& [k, v] : in) {
    out[i].setKey(k);
    out[i].setValue(v);
    ++i;
  }
}

static Labels readLabels(capnp::List<proto::Label>::Reader in) {
  Labels out;
  for (auto l : in) out[l.getKey()] = l.getValue();
  return out;
}

static void writeCommand(const CommandInfo& in, proto::CommandInfo::Builder cmd) {
  cmd.setValue(in.value);
  cmd.setShell(in.shell);
  auto args = cmd.initArguments(static_cast<unsigned>(in.arguments.size()));
  for (unsigned i = 0; i < in.arguments.size(); ++i) args.set(i, in.arguments[i]);
  auto env = cmd.initEnvironment(static_cast<unsigned>(in.environment.size()));
  unsigned i = 0;
  for (const auto& [k, v] : in.environment) {
    env[i].setName(k);
    env[i].setValue(v);
    ++i;
  }
}

static CommandInfo readCommand(proto::CommandInfo::Reader cmd) {
  CommandInfo out;
  out.value = cmd.getValue();
  out.shell = cmd.getShell();
  for (auto a : cmd.getArguments()) out.arguments.push_back(a);
  for (auto e : cmd.getEnvironment()) out.environment[e.getName()] = e.getValue();
  return out;
}

static void writePort(const PortRef& in, proto::PortRef::Builder out) {
  out.setIndex(in.index);
  out.setName(in.name);
  out.setNumber(in.number);
}

static PortRef readPort(proto::PortRef::Reader in) { return PortRef{in.getIndex(), in.getName(), in.getNumber()}; }

static void writeHealthCheck(const HealthCheck& in, proto::HealthCheck::Builder out) {
  out.setKind(in.kind);
  writeCommand(in.command, out.initCommand());
  out.setPath(in.path);
  writePort(in.port, out.initPort());
  out.setDelaySeconds(in.delaySeconds);
  out.setIntervalSeconds(in.intervalSeconds);
  out.setTimeoutSeconds(in.timeoutSeconds);
  out.setGracePeriodSeconds(in.gracePeriodSeconds);
  out.setMaxConsecutiveFailures(in.maxConsecutiveFailures);
}

static HealthCheck readHealthCheck(proto::HealthCheck::Reader in) {
  HealthCheck out;
  out.kind = in.getKind();
  out.command = readCommand(in.getCommand());
  out.path = in.getPath();
  out.port = readPort(in.getPort());
  out.delaySeconds = in.getDelaySeconds();
  out.intervalSeconds = in.getIntervalSeconds();
  out.timeoutSeconds = in.getTimeoutSeconds();
  out.gracePeriodSeconds = in.getGracePeriodSeconds();
  out.maxConsecutiveFailures = in.getMaxConsecutiveFailures();
  return out;
}

static void writeReadinessCheck(const ReadinessCheck& in, proto::ReadinessCheck::Builder out) {
  out.setPath(in.path);
  writePort(in.port, out.initPort());
  out.setIntervalSeconds(in.intervalSeconds);
  out.setTimeoutSeconds(in.timeoutSeconds);
  auto codes = out.initReadyStatusCodes(static_cast<unsigned>(in.readyStatusCodes.size()));
  for (unsigned i = 0; i < in.readyStatusCodes.size(); ++i) codes.set(i, in.readyStatusCodes[i]);
}

static Try<ReadinessCheck> readReadinessCheck(proto::ReadinessCheck::Reader in) {
  Status length = checkLength("ready status codes", in.getReadyStatusCodes().size(), kMaxLabels);
  if (!length.ok()) return Error(length.error());
  ReadinessCheck out;
  out.path = in.getPath();
  out.port = readPort(in.getPort());
  out.intervalSeconds = in.getIntervalSeconds();
  out.timeoutSeconds = in.getTimeoutSeconds();
  for (uint16_t code : in.getReadyStatusCodes()) out.readyStatusCodes.push_back(code);
  return out;
}

void write(const TaskInfo& in, proto::TaskInfo::Builder out) {
  out.setTaskId(in.taskId);
  out.setName(in.name);
  out.setAgentId(in.agentId);
  AGORA_CODEC_INIT(out, Resources, in.resources);
  writeCommand(in.command, out.initCommand());
  out.setKillGracePeriodSeconds(in.killGracePeriodSeconds);
  writeLabels(in.labels, out.initLabels(static_cast<unsigned>(in.labels.size())));
  auto ports = out.initPorts(static_cast<unsigned>(in.ports.size()));
  for (unsigned k = 0; k < in.ports.size(); ++k) {
    ports[k].setNumber(in.ports[k].number);
    ports[k].setName(in.ports[k].name);
  }
  out.setMaxCompletionTimeSeconds(in.maxCompletionTimeSeconds);
  out.setUser(in.user);
  if (in.healthCheck) writeHealthCheck(*in.healthCheck, out.initHealthCheck());
  if (in.readinessCheck) writeReadinessCheck(*in.readinessCheck, out.initReadinessCheck());
}

Try<TaskInfo> read(proto::TaskInfo::Reader in) {
  TaskInfo out;
  out.taskId = in.getTaskId();
  out.name = in.getName();
  out.agentId = in.getAgentId();
  Try<Resources> r = read(in.getResources());
  if (r.isError()) return Error("task '" + out.taskId + "': " + r.error());
  out.resources = *r;
  out.command = readCommand(in.getCommand());
  out.killGracePeriodSeconds = in.getKillGracePeriodSeconds();
  Status lengths = checkLength("labels of task '" + out.taskId + "'", in.getLabels().size(), kMaxLabels);
  if (lengths.ok()) lengths = checkLength("ports of task '" + out.taskId + "'", in.getPorts().size(), kMaxRanges);
  if (!lengths.ok()) return Error(lengths.error());
  out.labels = readLabels(in.getLabels());
  for (auto p : in.getPorts()) out.ports.push_back(TaskPort{p.getNumber(), p.getName()});
  out.maxCompletionTimeSeconds = in.getMaxCompletionTimeSeconds();
  out.user = in.getUser();
  if (in.hasHealthCheck()) out.healthCheck = readHealthCheck(in.getHealthCheck());
  if (in.hasReadinessCheck()) {
    Try<ReadinessCheck> readiness = readReadinessCheck(in.getReadinessCheck());
    if (readiness.isError()) return Error("task '" + out.taskId + "': " + readiness.error());
    out.readinessCheck = *readiness;
  }
  return out;
}

void write(const TaskStatus& in, proto::TaskStatus::Builder out) {
  out.setTaskId(in.taskId);
  out.setFrameworkId(in.frameworkId);
  out.setAgentId(in.agentId);
  out.setState(in.state);
  out.setReason(in.reason);
  out.setMessage(in.message);
  out.setSource(in.fromMaster ? proto::StatusSource::MASTER : proto::StatusSource::AGENT);
  out.setUuid(in.uuid);
  out.setTimestamp(in.timestamp);
  out.setHasExitCode(in.exitCode.has_value());
  out.setExitCode(in.exitCode.value_or(0));
  writeLabels(in.labels, out.initLabels(static_cast<unsigned>(in.labels.size())));
  out.setAgentHostname(in.agentHostname);
  out.setAgentHttpAddress(in.agentHttpAddress);
  out.setSandbox(in.sandbox);
  out.setHasHealthy(in.healthy.has_value());
  out.setHealthy(in.healthy.value_or(false));
  out.setHasReady(in.ready.has_value());
  out.setReady(in.ready.value_or(false));
}

TaskStatus read(proto::TaskStatus::Reader in) {
  TaskStatus out;
  out.taskId = in.getTaskId();
  out.frameworkId = in.getFrameworkId();
  out.agentId = in.getAgentId();
  out.state = in.getState();
  out.reason = in.getReason();
  out.message = in.getMessage();
  out.fromMaster = in.getSource() == proto::StatusSource::MASTER;
  out.uuid = in.getUuid();
  out.timestamp = in.getTimestamp();
  if (in.getHasExitCode()) out.exitCode = in.getExitCode();
  out.labels = readLabels(in.getLabels());
  out.agentHostname = in.getAgentHostname();
  out.agentHttpAddress = in.getAgentHttpAddress();
  out.sandbox = in.getSandbox();
  if (in.getHasHealthy()) out.healthy = in.getHealthy();
  if (in.getHasReady()) out.ready = in.getReady();
  return out;
}

void write(const Offer& in, proto::Offer::Builder out) {
  out.setId(in.id);
  out.setFrameworkId(in.frameworkId);
  out.setAgentId(in.agentId);
  out.setHostname(in.hostname);
  AGORA_CODEC_INIT(out, Resources, in.resources);
  AGORA_CODEC_INIT(out, Attributes, in.attributes);
  out.setRole(in.role);
}

Try<Offer> read(proto::Offer::Reader in) {
  Offer out;
  out.id = in.getId();
  out.frameworkId = in.getFrameworkId();
  out.agentId = in.getAgentId();
  out.hostname = in.getHostname();
  Try<Resources> r = read(in.getResources());
  if (r.isError()) return Error(r.error());
  out.resources = *r;
  Try<Attributes> attributes = read(in.getAttributes());
  if (attributes.isError()) return Error(attributes.error());
  out.attributes = *attributes;
  out.role = in.getRole();
  if (out.role.empty()) out.role.push_back('*');
  return out;
}

}  // namespace agora::codec
