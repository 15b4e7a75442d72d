#pragma once
// Where a framework keeps the id the master gave it, so that after a restart it subscribes
// as itself: its tasks, reservations and pending updates are still its own. A plain file,
// written durably; a framework with a store of its own may keep the id there instead.

#include <optional>
#include <string>

#include "common/try.hpp"

namespace agora::sdk {

class FrameworkIdFile {
 public:
  explicit FrameworkIdFile(std::string path) : path_(std::move(path)) {}

  // The id, nothing if the file does not exist yet, or why it cannot be read.
  Try<std::optional<std::string>> load() const;
  // Replaces the id; durable when this returns OK.
  Status save(const std::string& frameworkId) const;

 private:
  std::string path_;
};

}  // namespace agora::sdk
