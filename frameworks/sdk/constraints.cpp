#include "frameworks/sdk/constraints.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <re2/re2.h>

namespace agora::sdk {

namespace {

const std::map<std::string, Constraint::Op>& operators() {
  static const std::map<std::string, Constraint::Op> ops{
      {"UNIQUE", Constraint::Op::kUnique}, {"CLUSTER", Constraint::Op::kCluster}, {"GROUP_BY", Constraint::Op::kGroupBy},
      {"LIKE", Constraint::Op::kLike},     {"UNLIKE", Constraint::Op::kUnlike},   {"MAX_PER", Constraint::Op::kMaxPer},
      {"IS", Constraint::Op::kIs}};
  return ops;
}

std::optional<uint64_t> positive(const std::string& text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0) return std::nullopt;
  return n;
}

// RE2 refuses counts above 1000 and keeps a compiled pattern within max_mem, so a pattern can
// cost neither unbounded time nor memory. (Fuzzing found that std::regex, used before, overflowed
// a long reading "\18446744073709551615".)
Try<std::shared_ptr<const re2::RE2>> compilePattern(const std::string& text) {
  re2::RE2::Options options;
  options.set_log_errors(false);  // the error goes back to whoever wrote the pattern
  options.set_max_mem(1 << 20);
  auto pattern = std::make_shared<const re2::RE2>(text, options);
  if (!pattern->ok()) return Error(pattern->error());
  return pattern;
}

// How many of the placed tasks have each value of the field.
std::map<std::string, uint64_t> countByValue(const std::string& field, const std::vector<Placed>& placed) {
  std::map<std::string, uint64_t> counts;
  for (const Placed& p : placed)
    if (auto v = fieldValue(field, p.hostname, p.attributes)) ++counts[*v];
  return counts;
}

}  // namespace

Try<Constraint> parseConstraint(const std::vector<std::string>& parts) {
  if (parts.size() < 2 || parts.size() > 3)
    return Error("a constraint is [field, operator] or [field, operator, value]");
  Constraint c;
  c.field = parts[0];
  if (c.field.empty()) return Error("the constraint's field is empty: use hostname or an agent attribute");
  auto op = operators().find(parts[1]);
  if (op == operators().end())
    return Error("constraint operator '" + parts[1] + "' is not one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS");
  c.op = op->second;
  if (parts.size() == 3) c.value = parts[2];
  bool hasValue = parts.size() == 3;
  switch (c.op) {
    case Constraint::Op::kUnique:
      if (hasValue) return Error("UNIQUE takes no value");
      break;
    case Constraint::Op::kCluster: break;
    case Constraint::Op::kGroupBy:
      if (hasValue) {
        auto n = positive(c.value);
        if (!n) return Error("GROUP_BY takes a positive number of groups, not '" + c.value + "'");
        c.number = *n;
      }
      break;
    case Constraint::Op::kMaxPer: {
      auto n = hasValue ? positive(c.value) : std::nullopt;
      if (!n) return Error("MAX_PER takes a positive number of tasks per value" + (hasValue ? ", not '" + c.value + "'" : std::string()));
      c.number = *n;
      break;
    }
    case Constraint::Op::kLike:
    case Constraint::Op::kUnlike:
      if (!hasValue) return Error(parts[1] + " takes a regular expression");
      if (Try<std::shared_ptr<const re2::RE2>> pattern = compilePattern(c.value); pattern.ok())
        c.pattern = *pattern;
      else
        return Error("'" + c.value + "' is not a valid regular expression: " + pattern.error());
      break;
    case Constraint::Op::kIs:
      if (!hasValue) return Error("IS takes a value");
      break;
  }
  return c;
}

std::optional<std::string> fieldValue(const std::string& field, const std::string& hostname,
                                      const Attributes& attributes) {
  if (field == "hostname") return hostname;
  auto it = attributes.find(field);
  if (it == attributes.end()) return std::nullopt;
  return it->second;
}

Status satisfies(const Constraint& c, const std::string& hostname, const Attributes& attributes,
                 const std::vector<Placed>& placed) {
  std::optional<std::string> value = fieldValue(c.field, hostname, attributes);
  if (!value) {
    if (c.op == Constraint::Op::kUnlike) return Status::OK();
    return Error("the agent has no attribute '" + c.field + "'");
  }
  const std::string& v = *value;
  auto counts = countByValue(c.field, placed);
  uint64_t here = counts.count(v) ? counts.at(v) : 0;
  switch (c.op) {
    case Constraint::Op::kUnique:
      if (here > 0) return Error(c.field + " " + v + " already runs a task of the app (UNIQUE)");
      return Status::OK();
    case Constraint::Op::kCluster: {
      std::string want = c.value;
      if (want.empty() && !counts.empty()) want = counts.begin()->first;
      if (!want.empty() && v != want) return Error(c.field + " is " + v + ", not " + want + " (CLUSTER)");
      return Status::OK();
    }
    case Constraint::Op::kGroupBy: {
      // While fewer values than the groups asked for are in use, only an unused one takes
      // the next task; after that, a value with no more tasks than any other.
      if (c.number > 0 && counts.size() < c.number) {
        if (here > 0)
          return Error(c.field + " " + v + " is in use and fewer than " + std::to_string(c.number) +
                       " values are (GROUP_BY)");
        return Status::OK();
      }
      uint64_t least = here;
      for (const auto& [other, n] : counts) least = std::min(least, n);
      if (here > least)
        return Error(c.field + " " + v + " has " + std::to_string(here) + " tasks of the app, more than another (GROUP_BY)");
      return Status::OK();
    }
    case Constraint::Op::kLike:
      if (!re2::RE2::FullMatch(v, *c.pattern)) return Error(c.field + " " + v + " does not match " + c.value + " (LIKE)");
      return Status::OK();
    case Constraint::Op::kUnlike:
      if (re2::RE2::FullMatch(v, *c.pattern)) return Error(c.field + " " + v + " matches " + c.value + " (UNLIKE)");
      return Status::OK();
    case Constraint::Op::kMaxPer:
      if (here >= c.number)
        return Error(c.field + " " + v + " already has " + std::to_string(here) + " tasks of the app (MAX_PER " +
                     c.value + ")");
      return Status::OK();
    case Constraint::Op::kIs:
      if (v != c.value) return Error(c.field + " is " + v + ", not " + c.value + " (IS)");
      return Status::OK();
  }
  return Status::OK();
}

Status satisfiesAll(const std::vector<Constraint>& constraints, const std::string& hostname,
                    const Attributes& attributes, const std::vector<Placed>& placed) {
  for (const Constraint& c : constraints) {
    Status s = satisfies(c, hostname, attributes, placed);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace agora::sdk
