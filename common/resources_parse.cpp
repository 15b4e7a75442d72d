// Text and JSON forms of Resources. Every error names the entry it is about.
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/resources.hpp"

namespace agora {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) { out.push_back(cur); cur.clear(); } else { cur += c; }
  }
  out.push_back(cur);
  return out;
}

// kMaxScalar as the text form writes it: 1000000000000.
std::string maxScalarText() { return Resource::scalar("", kMaxScalar).valueString(); }

Try<double> parseNumber(const std::string& text, const std::string& entry) {
  if (text.empty()) return Error("resource '" + entry + "' has no value after ':'");
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno != 0 || !std::isfinite(v))
    return Error("resource '" + entry + "': '" + text + "' is not a number");
  if (v < 0) return Error("resource '" + entry + "': value must not be negative");
  if (v > kMaxScalar)
    return Error("resource '" + entry + "': value " + text + " is too large; give at most " + maxScalarText());
  return v;
}

Try<uint64_t> parseUnsigned(const std::string& raw, const std::string& entry) {
  std::string text = trim(raw);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return Error("resource '" + entry + "': '" + text + "' is not a non-negative integer");
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno != 0) return Error("resource '" + entry + "': '" + text + "' is out of range");
  return static_cast<uint64_t>(v);
}

Try<Ranges> parseRanges(const std::string& body, const std::string& entry) {
  Ranges out;
  if (trim(body).empty()) return out;
  for (const std::string& part : split(body, ',')) {
    std::vector<std::string> ends = split(part, '-');
    if (ends.size() > 2) return Error("resource '" + entry + "': range '" + trim(part) + "' is not 'begin-end'");
    Try<uint64_t> b = parseUnsigned(ends[0], entry);
    if (b.isError()) return Error(b.error());
    Try<uint64_t> e = ends.size() == 2 ? parseUnsigned(ends[1], entry) : b;
    if (e.isError()) return Error(e.error());
    if (*e < *b)
      return Error("resource '" + entry + "': range " + trim(part) + " ends before it begins");
    out.push_back({*b, *e});
  }
  return out;
}

Try<Resource> parseEntry(const std::string& entry, const std::string& defaultRole) {
  size_t colon = entry.find(':');
  if (colon == std::string::npos)
    return Error("resource '" + entry + "' is not 'name:value' (for example cpus:2 or ports:[31000-32000])");
  std::string key = trim(entry.substr(0, colon));
  std::string value = trim(entry.substr(colon + 1));
  std::string role = defaultRole;
  size_t paren = key.find('(');
  if (paren != std::string::npos) {
    if (key.back() != ')') return Error("resource '" + entry + "': role must be written name(role)");
    role = trim(key.substr(paren + 1, key.size() - paren - 2));
    key = trim(key.substr(0, paren));
    if (role.empty()) return Error("resource '" + entry + "': empty role in parentheses");
  }
  if (key.empty()) return Error("resource '" + entry + "' has an empty name");
  if (!value.empty() && value.front() == '[') {
    if (value.back() != ']') return Error("resource '" + entry + "': ranges must end with ']'");
    Try<Ranges> r = parseRanges(value.substr(1, value.size() - 2), entry);
    if (r.isError()) return Error(r.error());
    return Resource::range(key, *r, role);
  }
  if (!value.empty() && value.front() == '{') {
    if (value.back() != '}') return Error("resource '" + entry + "': sets must end with '}'");
    std::set<std::string> items;
    for (const auto& s : split(value.substr(1, value.size() - 2), ',')) {
      std::string t = trim(s);
      if (!t.empty()) items.insert(t);
    }
    return Resource::stringSet(key, items, role);
  }
  Try<double> v = parseNumber(value, entry);
  if (v.isError()) return Error(v.error());
  return Resource::scalar(key, *v, role);
}

Try<Resource> fromJsonValue(const std::string& key, const nlohmann::json& v) {
  Try<Resource> named = parseEntry(key + ":0", "*");  // splits name(role) with the text rules
  if (named.isError()) return Error("resource key '" + key + "' is not 'name' or 'name(role)'");
  Resource r = *named;
  if (v.is_number()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d < 0) return Error("resource '" + key + "' must be a non-negative number");
    // Checked here, before it becomes thousandths, which would not hold it.
    if (d > kMaxScalar)
      return Error("resource '" + key + "': value " + v.dump() + " is too large; give at most " + maxScalarText());
    return Resource::scalar(r.name, d, r.role);
  }
  if (v.is_array() && (v.empty() || v[0].is_array())) {
    Ranges ranges;
    for (const auto& pair : v) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() || !pair[1].is_number_unsigned())
        return Error("resource '" + key + "': each range must be [begin, end] with non-negative integers");
      uint64_t b = pair[0].get<uint64_t>(), e = pair[1].get<uint64_t>();
      if (e < b) return Error("resource '" + key + "': range ends before it begins");
      ranges.push_back({b, e});
    }
    return Resource::range(r.name, ranges, r.role);
  }
  if (v.is_array()) {
    std::set<std::string> items;
    for (const auto& s : v) {
      if (!s.is_string()) return Error("resource '" + key + "': a set holds strings only");
      items.insert(s.get<std::string>());
    }
    return Resource::stringSet(r.name, items, r.role);
  }
  return Error("resource '" + key + "' must be a number, a list of [begin, end] ranges or a list of strings");
}

}  // namespace

Try<Resources> Resources::parse(const std::string& text, const std::string& defaultRole) {
  Resources out;
  for (const std::string& raw : split(text, ';')) {
    std::string entry = trim(raw);
    if (entry.empty()) continue;
    Try<Resource> r = parseEntry(entry, defaultRole);
    if (r.isError()) return Error(r.error());
    Status s = out.add(*r);
    if (!s.ok()) return Error(s.error());
  }
  return out;
}

Try<Resources> Resources::fromJson(const nlohmann::json& json) {
  if (json.is_string()) return parse(json.get<std::string>());
  if (!json.is_object())
    return Error("resources must be a JSON object such as {\"cpus\": 1, \"mem\": 128} or a string such as \"cpus:1;mem:128\"");
  Resources out;
  for (const auto& [key, value] : json.items()) {
    Try<Resource> r = fromJsonValue(key, value);
    if (r.isError()) return Error(r.error());
    Status s = out.add(*r);
    if (!s.ok()) return Error(s.error());
  }
  return out;
}

}  // namespace agora
