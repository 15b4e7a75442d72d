#pragma once
// The rules a definition must follow once its JSON has been read, with Marathon's paths and,
// where Marathon has one, its message.

#include <string>

#include <nlohmann/json.hpp>

#include "common/try.hpp"

#include "frameworks/marathon-like/app.hpp"
#include "common/violations.hpp"

namespace agora::marathon {

// `frameworkRole` is the role the framework subscribes in: an app may ask for no other.
void validateApp(const AppDefinition& app, const std::string& frameworkRole, Violations& out);

// Reads a definition written in the group `base` (app_json) and checks it: the app, or an
// error with what is wrong in `out`.
Try<AppDefinition> readApp(const nlohmann::json& j, const std::string& base, const std::string& frameworkRole,
                           Violations& out);

}  // namespace agora::marathon
