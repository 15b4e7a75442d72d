#include "frameworks/marathon-like/path_id.hpp"

#include <algorithm>

namespace agora::marathon {

bool isLabel(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

namespace {

// kSegmentRule by hand: labels joined by dots. (std::regex matches recursively, a stack frame
// or more per character, and a 300 KB id overflowed the stack: found while fixing a fuzz
// finding; the fuzzers feed at most 4 KB.)
bool validSegment(const std::string& s) {
  std::string_view rest(s);
  for (size_t dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    if (!isLabel(rest.substr(0, dot))) return false;
    rest.remove_prefix(dot + 1);
  }
  return isLabel(rest);
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
