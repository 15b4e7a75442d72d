// Sandboxes after their tasks: their files served over HTTP, and their garbage collection.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "agent/sandbox_gc.hpp"
#include "common/ids.hpp"

namespace agora {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {
constexpr size_t kDefaultReadLength = 64 << 10;
constexpr size_t kMaxReadLength = 1 << 20;
}  // namespace

// A file of a task's sandbox, found on disk so that finished tasks' logs stay readable until
// their sandbox is garbage-collected. Query: task_id, framework_id (optional), file
// (default stdout), offset (default 0), length (default 64 KiB, at most 1 MiB).
ApiReply Agent::readFile(const ApiCall& call) const {
  auto param = [&](const char* name, const std::string& fallback) {
    auto it = call.query.find(name);
    return it == call.query.end() ? fallback : it->second;
  };
  std::string taskId = param("task_id", ""), frameworkId = param("framework_id", ""), file = param("file", "stdout");
  if (!isValidId(taskId)) return errorReply(400, "task_id '" + taskId + "' is missing or not a valid task id");
  if (!frameworkId.empty() && !isValidId(frameworkId))
    return errorReply(400, "framework_id '" + frameworkId + "' is not a valid framework id");
  if (!isValidId(file)) return errorReply(400, "file '" + file + "' must name a file of the sandbox, e.g. stdout");
  uint64_t offset = 0, length = kDefaultReadLength;
  try {
    offset = std::stoull(param("offset", "0"));
    length = std::min<uint64_t>(std::stoull(param("length", std::to_string(kDefaultReadLength))), kMaxReadLength);
  } catch (const std::exception&) {
    return errorReply(400, "offset and length must be non-negative integers");
  }
  // The newest sandbox of that task id (a task id may be reused after its end).
  fs::path sandbox;
  fs::file_time_type newest{};
  std::error_code ec;
  for (const auto& fw : fs::directory_iterator(options_.workDir + "/sandboxes", ec)) {
    if (!frameworkId.empty() && fw.path().filename() != frameworkId) continue;
    for (const auto& dir : fs::directory_iterator(fw.path(), ec)) {
      std::string name = dir.path().filename().string();
      if (name.rfind(taskId + ".", 0) != 0 || name.find('.', taskId.size() + 1) != std::string::npos) continue;
      auto mtime = fs::last_write_time(dir.path(), ec);
      if (sandbox.empty() || mtime > newest) sandbox = dir.path(), newest = mtime;
    }
  }
  if (sandbox.empty()) return errorReply(404, "no sandbox of task " + taskId + " on this agent (it may have been "
                                              "garbage-collected)");
  // A task owns its sandbox: it may have made `file` a symlink out of it or a FIFO that
  // would block this thread. Only a regular file, opened without following links, is read.
  int dir = ::open(sandbox.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = dir < 0 ? -1 : ::openat(dir, file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (dir >= 0) ::close(dir);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    ::close(fd);
    return errorReply(400, "'" + file + "' in the sandbox of task " + taskId + " is not a regular file");
  }
  if (fd < 0) return errorReply(404, "task " + taskId + " has no file '" + file + "' in its sandbox");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  std::string data(static_cast<size_t>(offset < size ? std::min<uint64_t>(length, size - offset) : 0), '\0');
  ssize_t n = data.empty() ? 0 : pread(fd, data.data(), data.size(), static_cast<off_t>(offset));
  ::close(fd);
  data.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
  // next_offset counts bytes: "data" is JSON text, where bytes that are not UTF-8 become U+FFFD.
  json reply{{"data", data},
             {"offset", offset},
             {"next_offset", offset + data.size()},
             {"size", size},
             {"sandbox", sandbox.string()}};
  return jsonReply(200, reply);
}

void Agent::gcTick() {
  std::set<std::string> inUse;
  for (const auto& [key, task] : tasks_)
    if (!task.sandbox.empty()) inUse.insert(task.sandbox);
  std::string sandboxes = options_.workDir + "/sandboxes";
  auto removed = collectSandboxes(sandboxes, inUse, fs::file_time_type::clock::now(), options_.gc,
                                  [&] { return diskUsage(options_.workDir); });
  for (const auto& path : removed) VLOG(1) << "Garbage-collected sandbox " << path;
  if (!removed.empty()) LOG(INFO) << "Garbage-collected " << removed.size() << " sandboxes of finished tasks";
  loop_.after(options_.gcInterval, [this] { gcTick(); });
}

}  // namespace agora
