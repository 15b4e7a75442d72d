#pragma once
// Authorization: what each principal may do, once CURVE or a bearer token has said who it is.
// The counterpart of Mesos' ACLs (register_frameworks, run_tasks, set_quotas, ...), reduced to
// one object per principal (docs/security.md, "ACL file"):
//
//   {"principals": {
//     "team-a": {"roles": ["team-a", "team-a/*"], "users": ["nobody", "team-a"], "actions": ["read_files"]},
//     "ops":    {"roles": ["ANY"], "users": ["ANY"], "actions": ["quota", "weights", "drain"]}}}
//
// Every field is optional and a missing one allows nothing; a principal the file does not
// name may do nothing at all. The file is checked whole when it is loaded, so a typo is an
// error at start-up rather than a permission that silently never matches.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora {

// The operator actions a principal may be granted, beyond using roles and running as users.
enum class Action { kQuota, kWeights, kReservations, kDrain, kTeardown, kReadFiles, kRegisterAgents };

// The name used in the file: "quota", "weights", "reservations", "drain", "teardown",
// "read_files", "register_agents".
const char* actionName(Action a);

class Acl {
 public:
  // Errors name the source and the JSON path of what is wrong, and say what to write instead:
  //   acls.json: principals.team-a.actions[1]: unknown action "qouta" (one of: quota, ...)
  // Refused: unknown keys anywhere, a field of the wrong type, an unknown action, a principal
  // name that validPrincipalName() refuses, an empty string, '*' anywhere in a role entry but
  // as the whole entry or a trailing "/*", and a key given twice in one object.
  static Try<Acl> parse(const std::string& jsonText, const std::string& source);
  // parse() of the file's text with the path as the source; the error names the path if the
  // file cannot be read.
  static Try<Acl> load(const std::string& path);

  // Whether `principal` may register a framework in `role` (and so use its offers and
  // reservations). "ANY" allows every role; "a/*" allows a's descendants at any depth
  // ("a/b", "a/b/c") but not "a"; any other entry allows exactly that role, so "*" is the
  // default role, literally.
  bool mayUseRole(const std::string& principal, const std::string& role) const;
  // Whether `principal`'s tasks may run as the OS `user`; "ANY" allows every user.
  bool mayRunAs(const std::string& principal, const std::string& user) const;
  bool may(const std::string& principal, Action action) const;
  // Whether the file names `principal` (it may still be granted nothing).
  bool knows(const std::string& principal) const { return grants_.count(principal) > 0; }

 private:
  struct Grants {
    bool anyRole = false;
    std::set<std::string> roles;        // exact role names
    std::vector<std::string> subtrees;  // "a" for the entry "a/*": a's descendants
    bool anyUser = false;
    std::set<std::string> users;
    std::set<Action> actions;
  };
  std::map<std::string, Grants> grants_;  // principal -> what it may do
};

}  // namespace agora
