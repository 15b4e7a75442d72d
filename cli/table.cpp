#include "cli/table.hpp"

#include <algorithm>
#include <sstream>

namespace agora::cli {

void Table::print(std::ostream& os) const {
  std::vector<size_t> width;
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      os << row[i];
      if (i + 1 < row.size()) os << std::string(width[i] - row[i].size() + 2, ' ');
    }
    os << "\n";
  }
}

}  // namespace agora::cli

namespace agora::cli {

const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json none;
  return j.is_object() && j.contains(key) ? j[key] : none;
}

std::string number(const nlohmann::json& v) {
  if (!v.is_number()) return "-";
  std::ostringstream s;
  s << v.get<double>();
  return s.str();
}

}  // namespace agora::cli
