#pragma once
// Human tables for the CLI: columns padded to their widest cell.

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agora::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& os) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// A field of an answer that may be missing (const operator[] must not be asked for one).
const nlohmann::json& field(const nlohmann::json& j, const char* key);
// A number as a cell; "-" when it is not one.
std::string number(const nlohmann::json& v);

}  // namespace agora::cli
