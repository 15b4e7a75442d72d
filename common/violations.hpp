#pragma once
// What is wrong with a definition, field by field, in the shape of the 422 answer Marathon and Metronome give:
// {"message": "Object is not valid", "details": [{"path": "/instances", "errors": [...]}]}.

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agora {

struct Violation {
  std::string path;  // JSON pointer of the field: "/healthChecks(0)/portIndex" as Marathon writes it
  std::string error;
};
using Violations = std::vector<Violation>;

// "/healthChecks" and 0 -> "/healthChecks(0)": an element's path, as Marathon writes it.
inline std::string indexed(const std::string& path, size_t i) { return path + "(" + std::to_string(i) + ")"; }

// Errors of one path are grouped, in the order they were found. Errors of JSON types
// ("error.expected.jsnumber", ...) are Marathon's "Invalid JSON"; the others "Object is not valid".
inline nlohmann::json violationsBody(const Violations& violations) {
  bool typeError = std::any_of(violations.begin(), violations.end(), [](const Violation& v) { return v.error.rfind("error.", 0) == 0; });
  std::string message = typeError ? "Invalid JSON" : "Object is not valid";
  nlohmann::json details = nlohmann::json::array();
  for (const Violation& v : violations) {
    auto it = std::find_if(details.begin(), details.end(), [&](const nlohmann::json& d) { return d["path"] == v.path; });
    if (it == details.end()) details.push_back({{"path", v.path}, {"errors", {v.error}}});
    else (*it)["errors"].push_back(v.error);
  }
  return {{"message", message}, {"details", details}};
}

}  // namespace agora
