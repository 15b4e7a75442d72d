#pragma once
// JSON forms of the plain wire values, for the HTTP API and the CLI's --json output.

#include <nlohmann/json.hpp>

#include "common/types.hpp"

namespace agora {

nlohmann::json toJson(const AgentInfo& a);
nlohmann::json toJson(const FrameworkInfo& f);
nlohmann::json toJson(const HealthCheck& h);
nlohmann::json toJson(const ReadinessCheck& r);
nlohmann::json toJson(const TaskInfo& t);
nlohmann::json toJson(const TaskStatus& s);
nlohmann::json toJson(const Offer& o);

// Parses a JSON text into a value; the error says where the text went wrong.
Try<nlohmann::json> parseJson(const std::string& text);

}  // namespace agora
