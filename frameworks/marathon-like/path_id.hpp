#pragma once
// Marathon's ids: absolute paths of lower-case segments ("/prod/db/mongo"). A relative id
// ("mongo", "../db/mongo") is resolved against the group it is written in.

#include <string>
#include <string_view>
#include <vector>

#include "common/try.hpp"

namespace agora::marathon {

// The segments of `id` resolved against `base` (an absolute group path, "/" for the root),
// as an absolute path without a trailing slash ("/" is the root), or why it is not an id.
Try<std::string> resolvePath(const std::string& id, const std::string& base = "/");

// "/prod/db/mongo" -> {"prod", "db", "mongo"}; "/" -> {}.
std::vector<std::string> segments(const std::string& absolute);
// "/prod/db/mongo" -> "/prod/db"; "/prod" -> "/".
std::string parentOf(const std::string& absolute);
// Whether `path` is `group` or lies below it.
bool isUnder(const std::string& path, const std::string& group);
// "/prod/db/mongo" -> "prod_db_mongo": the id's form in task ids and file names.
std::string safeName(const std::string& absolute);

// Lower-case letters, digits and '-', not first or last: each dot-separated part of a
// segment, and a port's name.
bool isLabel(std::string_view s);

// The rule each segment must follow, as Marathon words it.
inline constexpr const char* kSegmentRule =
    "must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'";

}  // namespace agora::marathon
