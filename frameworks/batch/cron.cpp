#include "frameworks/batch/cron.hpp"

#include <array>
#include <cctype>
#include <sstream>
#include <vector>


namespace agora::batch {
namespace {

struct FieldRule {
  const char* name;
  int min, max;
  const char* const* names;  // names[i] stands for min + i; nullptr: numbers only
  int nameCount;
};

const char* const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// Day-of-week takes 0-7 (7 is Sunday again), folded into 0-6 once parsed.
const std::array<FieldRule, 5> kFields = {{{"minute", 0, 59, nullptr, 0},
                                           {"hour", 0, 23, nullptr, 0},
                                           {"day-of-month", 1, 31, nullptr, 0},
                                           {"month", 1, 12, kMonthNames, 12},
                                           {"day-of-week", 0, 7, kDayNames, 7}}};

const std::array<std::pair<const char*, const char*>, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                                                     {"@annually", "0 0 1 1 *"},
                                                                     {"@monthly", "0 0 1 * *"},
                                                                     {"@weekly", "0 0 * * 0"},
                                                                     {"@daily", "0 0 * * *"},
                                                                     {"@midnight", "0 0 * * *"},
                                                                     {"@hourly", "0 * * * *"}}};

std::string fieldError(const FieldRule& rule, const std::string& field, const std::string& what) {
  return std::string(rule.name) + " field '" + field + "': " + what;
}

Try<int> valueOf(const FieldRule& rule, const std::string& field, const std::string& token) {
  if (token.empty()) return Error(fieldError(rule, field, "a value is missing"));
  if (std::isdigit(static_cast<unsigned char>(token[0]))) {
    int v = 0;
    for (char c : token) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return Error(fieldError(rule, field, "'" + token + "' is not a number"));
      if (v > 1000) break;
      v = v * 10 + (c - '0');
    }
    if (v < rule.min || v > rule.max)
      return Error(fieldError(rule, field,
                              token + " is out of range " + std::to_string(rule.min) + "-" + std::to_string(rule.max)));
    return v;
  }
  std::string upper;
  for (char c : token) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int i = 0; i < rule.nameCount; ++i)
    if (upper == rule.names[i]) return rule.min + i;
  std::string hint = rule.names ? std::string(" (use ") + rule.names[0] + "-" + rule.names[rule.nameCount - 1] +
                                      " or " + std::to_string(rule.min) + "-" + std::to_string(rule.max) + ")"
                                : " (use " + std::to_string(rule.min) + "-" + std::to_string(rule.max) + ")";
  return Error(fieldError(rule, field, "'" + token + "' is not a value" + hint));
}

// One comma-separated item: "*", "N", "N-M", any of them with "/STEP".
Status addItem(const FieldRule& rule, const std::string& field, const std::string& item, std::vector<bool>& set) {
  if (item.empty()) return Error(fieldError(rule, field, "an empty item in the list"));
  std::string range = item;
  int step = 1;
  if (size_t slash = item.find('/'); slash != std::string::npos) {
    range = item.substr(0, slash);
    std::string stepText = item.substr(slash + 1);
    bool digits = !stepText.empty() && stepText.size() < 6;
    for (char c : stepText) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits) return Error(fieldError(rule, field, "the step '" + stepText + "' is not a number"));
    step = std::stoi(stepText);
    if (step == 0) return Error(fieldError(rule, field, "a step of 0 never advances"));
  }
  int low = rule.min, high = rule.max;
  if (range == "*" || range == "?") {
    if (range == "?" && rule.names != kDayNames && std::string(rule.name) != "day-of-month")
      return Error(fieldError(rule, field, "'?' stands only in the day fields"));
    if (rule.names == kDayNames) high = 6;  // "*" is each day once, not Sunday twice
  } else if (size_t dash = range.find('-'); dash != std::string::npos) {
    Try<int> a = valueOf(rule, field, range.substr(0, dash));
    if (a.isError()) return Error(a.error());
    Try<int> b = valueOf(rule, field, range.substr(dash + 1));
    if (b.isError()) return Error(b.error());
    if (*b < *a) return Error(fieldError(rule, field, "the range " + range + " runs backwards"));
    low = *a, high = *b;
  } else {
    Try<int> v = valueOf(rule, field, range);
    if (v.isError()) return Error(v.error());
    low = *v;
    // "5/15" is "5-max/15", as cronie and Kubernetes read it.
    high = item.find('/') != std::string::npos ? rule.max : *v;
  }
  for (int v = low; v <= high; v += step) set[static_cast<size_t>(v - rule.min)] = true;
  return Status::OK();
}

Try<std::vector<bool>> parseField(const FieldRule& rule, const std::string& field) {
  std::vector<bool> set(static_cast<size_t>(rule.max - rule.min + 1), false);
  size_t start = 0;
  while (true) {
    size_t comma = field.find(',', start);
    Status added = addItem(rule, field, field.substr(start, comma - start), set);
    if (!added.ok()) return Error(added.error());
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return set;
}

}  // namespace

bool CronExpression::matchesDay(date::year_month_day day) const {
  bool dom = days.test(static_cast<unsigned>(day.day()));
  bool dow = weekdays.test(date::weekday(date::sys_days(day)).c_encoding());
  if (!months.test(static_cast<unsigned>(day.month()))) return false;
  return daysStar || weekdaysStar ? dom && dow : dom || dow;
}

Try<CronExpression> parseCron(const std::string& text) {
  std::string expanded = text;
  expanded.erase(0, expanded.find_first_not_of(" \t"));
  if (!expanded.empty() && expanded[0] == '@') {
    std::string name = expanded;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    expanded.clear();
    for (const auto& [macro, fields] : kMacros)
      if (name == macro) expanded = fields;
    if (name == "@reboot") return Error("@reboot has no meaning for a cluster job: give a schedule such as @daily");
    if (expanded.empty())
      return Error("unknown macro '" + text + "': use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly");
  }
  std::vector<std::string> fields;
  std::istringstream in(expanded);
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5)
    return Error("cron expression '" + text + "' has " + std::to_string(fields.size()) +
                 " fields; it needs 5: minute hour day-of-month month day-of-week (or a macro such as @daily)");
  CronExpression cron;
  cron.text = text;
  std::array<std::vector<bool>, 5> sets;
  for (size_t i = 0; i < 5; ++i) {
    Try<std::vector<bool>> set = parseField(kFields[i], fields[i]);
    if (set.isError()) return Error(set.error());
    sets[i] = *set;
  }
  for (size_t i = 0; i < sets[0].size(); ++i) cron.minutes[i] = sets[0][i];
  for (size_t i = 0; i < sets[1].size(); ++i) cron.hours[i] = sets[1][i];
  for (size_t i = 0; i < sets[2].size(); ++i) cron.days[i + 1] = sets[2][i];
  for (size_t i = 0; i < sets[3].size(); ++i) cron.months[i + 1] = sets[3][i];
  for (size_t i = 0; i < sets[4].size(); ++i)
    if (sets[4][i]) cron.weekdays.set(i % 7);
  cron.daysStar = fields[2][0] == '*' || fields[2][0] == '?';
  cron.weekdaysStar = fields[4][0] == '*' || fields[4][0] == '?';
  cron.wildcardTime = fields[0][0] == '*' || fields[1][0] == '*';
  // nextLocalMatch() looks through a whole 400-year cycle, so nothing from one start means
  // nothing from any: the check refuses exactly what would never fire.
  if (!nextLocalMatch(cron, date::local_seconds(date::local_days(date::year(2000) / 1 / 1))))
    return Error("cron expression '" + text + "' never fires (no such day in any year)");
  return cron;
}

std::optional<date::local_seconds> nextLocalMatch(const CronExpression& cron, date::local_seconds from) {
  using namespace std::chrono;
  // Dates and weekdays repeat every 400 Gregorian years (146097 days, a whole number of weeks),
  // so a day that ever matches comes within one cycle of any start. A shorter look-ahead misses
  // rare days: with both day fields restricted and one starting with '*', "the 1st of January,
  // a Monday" can be 12 years apart and "the 29th of February, a Monday" 40.
  constexpr int kCycleDays = 146097;
  auto t = date::ceil<minutes>(from);
  date::local_days limit = date::floor<date::days>(t) + date::days(kCycleDays);
  while (true) {
    date::local_days day = date::floor<date::days>(t);
    if (day > limit) return std::nullopt;
    date::year_month_day ymd(day);
    if (!cron.months.test(static_cast<unsigned>(ymd.month()))) {
      // Skips the month at once: a cycle of days one by one would cost too much.
      date::year_month next = date::year_month(ymd.year(), ymd.month()) + date::months(1);
      t = date::local_days(next / 1);
      continue;
    }
    if (!cron.matchesDay(ymd)) {
      t = day + date::days(1);
      continue;
    }
    auto sinceMidnight = t - day;
    auto hour = static_cast<size_t>(duration_cast<hours>(sinceMidnight).count());
    auto minute = static_cast<size_t>(duration_cast<minutes>(sinceMidnight).count() % 60);
    size_t h = hour;
    while (h < 24 && !cron.hours.test(h)) ++h;
    if (h == 24) {
      t = day + date::days(1);
      continue;
    }
    size_t m = h == hour ? minute : 0;
    while (m < 60 && !cron.minutes.test(m)) ++m;
    if (m == 60) {
      t = day + hours(h + 1);
      continue;
    }
    return date::local_seconds(day + hours(h) + minutes(m));
  }
}

}  // namespace agora::batch
