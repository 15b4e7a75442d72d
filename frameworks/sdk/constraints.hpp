#pragma once
// Placement constraints in Marathon's form: [field, operator, value], where the field is
// "hostname" or an agent attribute. Operators:
//   UNIQUE            no two of the app's tasks share a value of the field
//   CLUSTER v         every task on agents whose field is v (no v: all on the first's value)
//   GROUP_BY [n]      spread evenly over the field's values (over n of them, if given)
//   LIKE re / UNLIKE re   the field matches / does not match the regular expression (whole)
//   MAX_PER n         at most n tasks per value of the field
//   IS v              the field is exactly v
// An agent without the attribute satisfies only UNLIKE. Regular expressions are RE2's: Java's
// syntax without back-references and look-around, matched in time linear in the value. (A
// backtracking engine, std::regex or Java's, takes exponential time on a pattern like
// "(.*)*x", and one app's constraint would stall the framework's event loop.)

#include <memory>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace re2 {
class RE2;
}

namespace agora::sdk {

struct Constraint {
  enum class Op { kUnique, kCluster, kGroupBy, kLike, kUnlike, kMaxPer, kIs };
  std::string field;
  Op op = Op::kUnique;
  std::string value;  // empty where the operator takes none
  std::shared_ptr<const re2::RE2> pattern;  // LIKE and UNLIKE
  uint64_t number = 0;  // MAX_PER and GROUP_BY
};

// ["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"], ...; the error says what is wrong in
// words a Marathon user knows.
Try<Constraint> parseConstraint(const std::vector<std::string>& parts);

// The value of `field` on an agent, or nothing if it has none.
std::optional<std::string> fieldValue(const std::string& field, const std::string& hostname,
                                      const Attributes& attributes);

// Whether a new task may go to the agent (hostname, attributes), given the agents of the
// app's tasks already placed (each task's agent hostname and attributes). OK or why not.
struct Placed {
  std::string hostname;
  Attributes attributes;
};
Status satisfies(const Constraint& c, const std::string& hostname, const Attributes& attributes,
                 const std::vector<Placed>& placed);
Status satisfiesAll(const std::vector<Constraint>& constraints, const std::string& hostname,
                    const Attributes& attributes, const std::vector<Placed>& placed);

}  // namespace agora::sdk
