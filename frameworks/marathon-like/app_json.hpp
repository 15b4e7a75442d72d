#pragma once
// Marathon's AppDefinition JSON, both ways. Reading checks each field's type (Play JSON's
// "error.expected.jsnumber" and friends, as Marathon answers) and refuses, by name, fields for
// what Agora cannot do (Docker containers, fetched artifacts) and fields it does not know;
// read-only fields that a GET returns (tasksRunning, deployments, ...) are accepted and left
// alone, so that a GET's output can be PUT back.

#include <string>

#include <nlohmann/json.hpp>

#include "frameworks/marathon-like/app.hpp"
#include "common/try.hpp"
#include "common/violations.hpp"

namespace agora::marathon {

// Reads an app written in the group `base` ("/" for the root): relative ids and dependencies
// resolve against it. Type errors and refused fields go to `violations`.
AppDefinition appFromJson(const nlohmann::json& j, const std::string& base, Violations& violations);

// A definition as stored (appToJson's output), with its version; fails only on a record that
// appToJson did not write (a damaged store), saying what is wrong with it.
Try<AppDefinition> storedAppFromJson(const nlohmann::json& j);

// The definition as Marathon shows it, every field with its value or default.
nlohmann::json appToJson(const AppDefinition& app);

// Whether two definitions differ in more than their instance count and versions: a change
// that needs new tasks (a restart) rather than a scale.
bool configDiffers(const AppDefinition& a, const AppDefinition& b);

// PATCH: the fields of `patch` replace those of `current` (objects and lists as a whole).
nlohmann::json mergePatch(nlohmann::json current, const nlohmann::json& patch);

}  // namespace agora::marathon
