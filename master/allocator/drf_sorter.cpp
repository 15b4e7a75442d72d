#include "master/allocator/drf_sorter.hpp"

namespace agora {

// `name` by value: callers often pass a reference into order_, which the erase frees.
void DrfSorter::place(std::string name, Client& c) {
  order_.erase({c.key, name});
  c.key = dominantShare(c.allocation, total_) / c.weight;
  order_.insert({c.key, std::move(name)});
}

void DrfSorter::add(const std::string& client, double weight) {
  auto [it, inserted] = clients_.try_emplace(client);
  it->second.weight = weight > 0 ? weight : 1.0;
  if (inserted) it->second.key = 0;
  place(client, it->second);
}

void DrfSorter::remove(const std::string& client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  order_.erase({it->second.key, client});
  clients_.erase(it);
}

void DrfSorter::setWeight(const std::string& client, double weight) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.weight = weight > 0 ? weight : 1.0;
  place(client, it->second);
}

void DrfSorter::allocated(const std::string& client, const Scalars& s) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.allocation += s;
  place(client, it->second);
}

void DrfSorter::unallocated(const std::string& client, const Scalars& s) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.allocation -= s;
  place(client, it->second);
}

void DrfSorter::setTotal(const Scalars& total) {
  if (total == total_) return;
  total_ = total;
  order_.clear();
  for (auto& [name, c] : clients_) {
    c.key = dominantShare(c.allocation, total_) / c.weight;
    order_.insert({c.key, name});
  }
}

double DrfSorter::share(const std::string& client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? 0.0 : dominantShare(it->second.allocation, total_);
}

const Scalars& DrfSorter::allocation(const std::string& client) const {
  static const Scalars kNone;
  auto it = clients_.find(client);
  return it == clients_.end() ? kNone : it->second.allocation;
}

}  // namespace agora
