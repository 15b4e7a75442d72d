#pragma once
// Typed reading of one JSON object for the frameworks' REST APIs, recording each type error
// under its path in Play JSON's words ("error.expected.jsnumber", ...), which is what
// Marathon and Metronome answer, so that their users' tooling reads our errors too.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/violations.hpp"

namespace agora {

// Seconds written as an integer when whole, as Marathon and Metronome show durations. The
// range is checked before the cast, which is undefined for a double outside int64 (and NaN
// fails every comparison).
inline nlohmann::json wholeSeconds(double s) {
  if (s < 1e15 && s > -1e15 && s == std::trunc(s)) return static_cast<int64_t>(s);
  return s;
}

// The longest duration a seconds field may give: 100 years, "never" for any timeout, delay or
// deadline. The services turn durations into int64 clock ticks and add them to the current
// time; this bound keeps those casts and sums defined, where 1e300 seconds would not be.
inline constexpr double kMaxSeconds = 100 * 365.25 * 86400;  // 3155760000

class Fields {
 public:
  using json = nlohmann::json;
  Fields(const json& j, std::string path, Violations& out) : j_(j), path_(std::move(path)), out_(out) {}

  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  std::string at(const char* key) const { return path_ + "/" + key; }
  void fail(const std::string& path, const std::string& error) { out_.push_back({path, error}); }
  Violations& violations() { return out_; }
  const json& raw(const char* key) const { return j_[key]; }

  template <typename T>
  void number(const char* key, T& into) {
    if (!has(key)) return;
    const json& v = j_[key];
    if (!v.is_number()) return fail(at(key), "error.expected.jsnumber");
    if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer()) return fail(at(key), "error.expected.int");
      if (v.get<double>() < 0) return fail(at(key), "got " + v.dump() + ", expected 0 or more");
      if (v.get<double>() > static_cast<double>(std::numeric_limits<T>::max()))
        return fail(at(key), "got " + v.dump() + ", expected " + std::to_string(std::numeric_limits<T>::max()) + " or less");
      into = v.get<T>();
    } else {
      into = v.get<T>();
    }
  }
  void number(const char* key, std::optional<double>& into) {
    double d = 0;
    if (!has(key)) return;
    if (!j_[key].is_number()) return fail(at(key), "error.expected.jsnumber");
    number(key, d);
    into = d;
  }
  // A duration in seconds: a number of at most kMaxSeconds. A value out of range is reported
  // and leaves `into` as it was, as a type error does.
  void seconds(const char* key, double& into) {
    if (!has(key)) return;
    const json& v = j_[key];
    if (!v.is_number()) return fail(at(key), "error.expected.jsnumber");
    double d = v.get<double>();
    if (d > kMaxSeconds)
      return fail(at(key), "got " + v.dump() + ", expected " + std::to_string(static_cast<int64_t>(kMaxSeconds)) +
                               " (100 years) or less");
    if (d < -kMaxSeconds) return fail(at(key), "got " + v.dump() + ", expected 0 or more");
    into = d;
  }
  void seconds(const char* key, std::optional<double>& into) {
    double d = into.value_or(0);
    size_t before = out_.size();
    if (!has(key)) return;
    seconds(key, d);
    if (out_.size() == before) into = d;
  }
  void string(const char* key, std::string& into) {
    if (!has(key)) return;
    if (!j_[key].is_string()) return fail(at(key), "error.expected.jsstring");
    into = j_[key].get<std::string>();
  }
  void boolean(const char* key, bool& into) {
    if (!has(key)) return;
    if (!j_[key].is_boolean()) return fail(at(key), "error.expected.jsboolean");
    into = j_[key].get<bool>();
  }
  void strings(const char* key, std::vector<std::string>& into) {
    if (!has(key)) return;
    const json& v = j_[key];
    if (!v.is_array()) return fail(at(key), "error.expected.jsarray");
    into.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) fail(at(key) + "(" + std::to_string(i) + ")", "error.expected.jsstring");
      else into.push_back(v[i].get<std::string>());
    }
  }
  void stringMap(const char* key, std::map<std::string, std::string>& into, const char* what) {
    if (!has(key)) return;
    const json& v = j_[key];
    if (!v.is_object()) return fail(at(key), "error.expected.jsobject");
    into.clear();
    for (const auto& [k, value] : v.items()) {
      if (value.is_string()) into[k] = value.get<std::string>();
      else if (value.is_object() && value.contains("secret"))
        fail(at(key) + "/" + k, std::string("secrets are not supported by Agora yet; give the ") + what + " as a string");
      else fail(at(key) + "/" + k, "error.expected.jsstring");
    }
  }
  const json* object(const char* key) {
    if (!has(key)) return nullptr;
    if (!j_[key].is_object()) return fail(at(key), "error.expected.jsobject"), nullptr;
    return &j_[key];
  }
  const json* array(const char* key) {
    if (!has(key)) return nullptr;
    if (!j_[key].is_array()) return fail(at(key), "error.expected.jsarray"), nullptr;
    return &j_[key];
  }

  // Every key that is not in `known`: refused, as Agora does not know what it would mean.
  // `guide` names the document that lists the fields.
  void refuseUnknown(const std::set<std::string>& known, const std::string& guide) {
    for (const auto& [k, v] : j_.items())
      if (!known.count(k)) fail(at(k.c_str()), "is not a field Agora knows; remove it (see " + guide + " for the fields)");
  }

 private:
  const json& j_;
  std::string path_;
  Violations& out_;
};

}  // namespace agora
