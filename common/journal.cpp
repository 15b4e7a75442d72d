#include "common/journal.hpp"

#include <algorithm>
#include <unordered_set>

#include <glog/logging.h>

namespace agora {

Status Journal::commit() {
  if (!batch_.empty()) {
    Status written = writeBatch();
    if (!written.ok()) {
      LOG(ERROR) << "could not persist " << batch_.size() << " changes: " << written.error()
                 << "; nothing is acted on until they are (free disk space under --work_dir, or bring etcd back)";
      return written;
    }
  }
  // An action may queue more work (a reply that reads state, another write): run what was
  // queued up to now; what the actions add waits for the next commit.
  std::vector<std::function<void()>> actions;
  actions.swap(actions_);
  for (auto& action : actions) action();
  return Status::OK();
}

Status Journal::writeBatch() {
  compact();
  size_t limit = store_->maxBatchWrites();
  if (limit == 0 || batch_.size() <= limit) {
    Status written = store_->apply(batch_);
    if (written.ok()) batch_.clear();
    return written;
  }
  // etcd takes a bounded number of writes in one transaction: a larger batch goes in parts,
  // in order, each written part dropped from the batch so that a retry does not write it
  // again. Every record is whole in itself, so a crash between parts leaves the state of a
  // moment (as one write of many records in a row would), which recovery reconciles.
  while (!batch_.empty()) {
    size_t n = std::min(limit, batch_.size());
    std::vector<StoreWrite> part(batch_.begin(), batch_.begin() + static_cast<std::ptrdiff_t>(n));
    Status written = store_->apply(part);
    if (!written.ok()) return written;
    batch_.erase(batch_.begin(), batch_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return Status::OK();
}

// A key written twice in one batch needs only its last write.
void Journal::compact() {
  std::unordered_set<std::string> seen;
  std::vector<StoreWrite> kept;
  kept.reserve(batch_.size());
  for (auto w = batch_.rbegin(); w != batch_.rend(); ++w)
    if (seen.insert(w->key).second) kept.push_back(std::move(*w));
  batch_.assign(std::make_move_iterator(kept.rbegin()), std::make_move_iterator(kept.rend()));
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
