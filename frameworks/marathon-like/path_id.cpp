#include "frameworks/marathon-like/path_id.hpp"

#include <regex>

namespace agora::marathon {

namespace {

bool validSegment(const std::string& s) {
  static const std::regex rule("^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])$");
  return std::regex_match(s, rule);
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

}  // namespace

Try<std::string> resolvePath(const std::string& id, const std::string& base) {
  if (id.empty()) return Error("must not be empty");
  std::vector<std::string> out = id[0] == '/' ? std::vector<std::string>{} : split(base);
  for (const std::string& part : split(id)) {
    if (part == ".") continue;
    if (part == "..") {
      if (out.empty()) return Error("'" + id + "' goes above the root group");
      out.pop_back();
      continue;
    }
    if (!validSegment(part)) return Error(kSegmentRule);
    out.push_back(part);
  }
  return join(out);
}

std::vector<std::string> segments(const std::string& absolute) { return split(absolute); }

std::string parentOf(const std::string& absolute) {
  std::vector<std::string> parts = split(absolute);
  if (!parts.empty()) parts.pop_back();
  return join(parts);
}

bool isUnder(const std::string& path, const std::string& group) {
  if (group == "/" || path == group) return true;
  return path.size() > group.size() && path.compare(0, group.size(), group) == 0 && path[group.size()] == '/';
}

std::string safeName(const std::string& absolute) {
  std::string out;
  for (const auto& part : split(absolute)) out += (out.empty() ? "" : "_") + part;
  return out;
}

}  // namespace agora::marathon
