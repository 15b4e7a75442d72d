#include "common/acl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/principals.hpp"
#include "common/text.hpp"

namespace agora {

namespace {

using json = nlohmann::json;

constexpr Action kActions[] = {Action::kQuota,    Action::kWeights,   Action::kReservations,  Action::kDrain,
                               Action::kTeardown, Action::kReadFiles, Action::kRegisterAgents};

std::optional<Action> actionNamed(const std::string& name) {
  for (Action a : kActions)
    if (name == actionName(a)) return a;
  return std::nullopt;
}

std::string actionNames() {
  std::string names;
  for (Action a : kActions) names += std::string(names.empty() ? "" : ", ") + actionName(a);
  return names;
}

// A string as JSON writes it, quotes and escapes included, for error messages.
std::string quoted(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

// "a string", "an array", ... for "is X; write Y" messages.
std::string kindOf(const json& j) {
  switch (j.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
  }
}

std::string childPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Parses `text`, refusing a key given twice in one object. nlohmann keeps the last one
// silently, so a second "team-a" written to add grants would replace the first instead.
Try<json> parseWithoutDuplicateKeys(const std::string& text) {
  struct Container {
    std::string path{};
    bool isArray = false;
    size_t nextIndex = 0;
    std::set<std::string> keys{};
    std::string key{};
  };
  std::vector<Container> open;
  std::optional<std::string> duplicate;
  auto pathOfNext = [&]() -> std::string {
    if (open.empty()) return "";
    Container& c = open.back();
    if (c.isArray) return c.path + "[" + std::to_string(c.nextIndex++) + "]";
    return childPath(c.path, c.key);
  };
  json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        std::string path = pathOfNext();
        open.push_back(Container{path, event == json::parse_event_t::array_start});
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key: {
        if (open.empty() || !parsed.is_string()) break;
        Container& c = open.back();
        c.key = parsed.get<std::string>();
        if (!c.keys.insert(c.key).second && !duplicate)
          duplicate = childPath(c.path, c.key) + ": given twice in one object; write it once, with everything it grants";
        break;
      }
      case json::parse_event_t::value:
        if (!open.empty() && open.back().isArray) ++open.back().nextIndex;
        break;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(text, callback);
  } catch (const json::exception& e) {
    // e.what() begins "[json.exception.parse_error.101] ", which says nothing to an operator.
    std::string what = e.what();
    size_t bracket = what.find("] ");
    return Error("not valid JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  if (duplicate) return Error(*duplicate);
  return doc;
}

// Blanks and control characters: never part of a role or user name, and invisible in a
// file, so refused rather than kept as a grant that never matches.
bool hasBlankOrControl(const std::string& s) {
  for (unsigned char c : s)
    if (c <= ' ' || c == 0x7f) return true;
  return false;
}

// Every descendant of `parent` at any depth: "a/b" and "a/b/c" of "a", not "a" nor "a/".
bool isDescendant(const std::string& role, const std::string& parent) {
  return role.size() > parent.size() + 1 && role.compare(0, parent.size(), parent) == 0 && role[parent.size()] == '/';
}


}  // namespace

const char* actionName(Action a) {
  switch (a) {
    case Action::kQuota: return "quota";
    case Action::kWeights: return "weights";
    case Action::kReservations: return "reservations";
    case Action::kDrain: return "drain";
    case Action::kTeardown: return "teardown";
    case Action::kReadFiles: return "read_files";
    case Action::kRegisterAgents: return "register_agents";
  }
  return "unknown";
}

Try<Acl> Acl::parse(const std::string& jsonText, const std::string& source) {
  auto fail = [&](const std::string& path, const std::string& what) { return Error(source + ": " + path + ": " + what); };
  Try<json> doc = parseWithoutDuplicateKeys(jsonText);
  if (doc.isError()) return Error(source + ": " + doc.error());
  const std::string shape =
      R"({"principals": {"NAME": {"roles": [...], "users": [...], "actions": [...]}}})";
  if (!doc->is_object()) return Error(source + ": the top level is " + kindOf(*doc) + "; write an object: " + shape);
  for (const auto& [key, value] : doc->items())
    if (key != "principals") return fail(key, "unknown key; the top level has only \"principals\": " + shape);
  Acl acl;
  if (!doc->contains("principals")) return acl;
  const json& principals = (*doc)["principals"];
  if (!principals.is_object())
    return fail("principals", "is " + kindOf(principals) + "; write an object of principals: " +
                                  R"({"NAME": {"roles": [...], "users": [...], "actions": [...]}})");
  for (const auto& [name, entry] : principals.items()) {
    std::string path = "principals." + name;
    if (!validPrincipalName(name))
      return fail(path, quoted(name) + " is not a valid principal name; write 1 to 64 characters of A-Z a-z 0-9 . _ -");
    if (!entry.is_object())
      return fail(path, "is " + kindOf(entry) + R"(; write an object with any of "roles", "users" and "actions")");
    Grants grants;
    for (const auto& [field, list] : entry.items()) {
      std::string fieldPath = path + "." + field;
      if (field != "roles" && field != "users" && field != "actions")
        return fail(fieldPath, R"(unknown key; a principal has only "roles", "users" and "actions")");
      if (!list.is_array()) return fail(fieldPath, "is " + kindOf(list) + "; write an array of strings: [\"...\"]");
      for (size_t i = 0; i < list.size(); ++i) {
        std::string itemPath = fieldPath + "[" + std::to_string(i) + "]";
        if (!list[i].is_string()) return fail(itemPath, "is " + kindOf(list[i]) + "; write a string");
        const std::string& item = list[i].get_ref<const std::string&>();
        if (field == "actions") {
          std::optional<Action> action = actionNamed(item);
          if (!action) return fail(itemPath, "unknown action " + quoted(item) + " (one of: " + actionNames() + ")");
          grants.actions.insert(*action);
          continue;
        }
        const char* const expected = field == "roles" ? R"(a role, "ROLE/*" for its descendants, or "ANY" for every role)"
                                                      : R"(an OS user name, or "ANY" for every user)";
        if (item.empty()) return fail(itemPath, std::string("is empty; write ") + expected);
        if (hasBlankOrControl(item))
          return fail(itemPath, quoted(item) + " has a blank or control character; write " + expected);
        if (field == "users") {
          if (item == "ANY") grants.anyUser = true;
          else grants.users.insert(item);
          continue;
        }
        bool subtree = item.size() > 2 && item.compare(item.size() - 2, 2, "/*") == 0;
        std::string role = subtree ? item.substr(0, item.size() - 2) : item;
        // '*' alone is Mesos' default role; anywhere else it would read as a wildcard that
        // this file does not have, so it is refused rather than matched literally.
        if (item == "/*" || (item != "*" && role.find('*') != std::string::npos))
          return fail(itemPath, quoted(item) + R"( is not a role pattern: '*' means the default role only as "*" itself; )"
                                               R"(write "ROLE/*" for ROLE's descendants, or "ANY" for every role)");
        if (item == "ANY") grants.anyRole = true;
        else if (subtree) grants.subtrees.push_back(role);
        else grants.roles.insert(role);
      }
    }
    acl.grants_.emplace(name, std::move(grants));
  }
  return acl;
}

Try<Acl> Acl::load(const std::string& path) {
  Try<std::string> text = readWholeFile(path);
  if (text.isError())
    return Error("cannot read the ACL file " + path + ": " + text.error() + " (see docs/security.md, \"ACL file\")");
  return parse(*text, path);
}

bool Acl::mayUseRole(const std::string& principal, const std::string& role) const {
  auto it = grants_.find(principal);
  if (it == grants_.end()) return false;
  const Grants& g = it->second;
  if (g.anyRole || g.roles.count(role)) return true;
  for (const std::string& parent : g.subtrees)
    if (isDescendant(role, parent)) return true;
  return false;
}

bool Acl::mayRunAs(const std::string& principal, const std::string& user) const {
  auto it = grants_.find(principal);
  return it != grants_.end() && (it->second.anyUser || it->second.users.count(user));
}

bool Acl::may(const std::string& principal, Action action) const {
  auto it = grants_.find(principal);
  return it != grants_.end() && it->second.actions.count(action);
}

}  // namespace agora
