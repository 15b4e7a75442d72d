#include "frameworks/sdk/framework_id_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/durable_file.hpp"
#include "common/ids.hpp"

namespace agora::sdk {

Try<std::optional<std::string>> FrameworkIdFile::load() const {
  std::ifstream in(path_);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Error("cannot read the framework id from " + path_ + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string id = text.str();
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  if (!isValidId(id)) return Error(path_ + " does not hold a framework id (found '" + id + "')");
  return std::optional<std::string>(id);
}

Status FrameworkIdFile::save(const std::string& frameworkId) const {
  Status s = writeFileDurably(path_, frameworkId + "\n");
  if (!s.ok()) return Error("cannot keep the framework id: " + s.error());
  return Status::OK();
}

}  // namespace agora::sdk
