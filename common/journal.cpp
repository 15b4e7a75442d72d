#include "common/journal.hpp"

#include <glog/logging.h>

namespace agora {

Status Journal::commit() {
  if (!batch_.empty()) {
    Status written = store_->apply(batch_);
    if (!written.ok()) {
      LOG(ERROR) << "could not persist " << batch_.size() << " changes: " << written.error()
                 << "; nothing is acted on until they are (free disk space under --work_dir)";
      return written;
    }
    batch_.clear();
  }
  // An action may queue more work (a reply that reads state, another write): run what was
  // queued up to now; what the actions add waits for the next commit.
  std::vector<std::function<void()>> actions;
  actions.swap(actions_);
  for (auto& action : actions) action();
  return Status::OK();
}

Try<std::map<std::string, nlohmann::json>> Journal::scan(const std::string& prefix) const {
  Try<std::map<std::string, std::string>> raw = store_->scan(prefix);
  if (raw.isError()) return Error(raw.error());
  std::map<std::string, nlohmann::json> out;
  for (const auto& [key, text] : *raw) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return Error("the record '" + key + "' is not JSON; the store under --work_dir is damaged");
    out.emplace(key, std::move(j));
  }
  return out;
}

}  // namespace agora
