#pragma once
// Orders clients (roles among their siblings, or frameworks within a role) by weighted
// Dominant Resource Fairness: the client with the lowest dominant share divided by its
// weight comes first, ties broken by name so that a cycle is deterministic. The order is
// kept incrementally: an allocation moves one client, in O(log n).

#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "master/allocator/scalars.hpp"

namespace agora {

class DrfSorter {
 public:
  using Order = std::set<std::pair<double, std::string>>;

  void add(const std::string& client, double weight = 1.0);
  void remove(const std::string& client);
  bool contains(const std::string& client) const { return clients_.count(client) > 0; }
  bool empty() const { return clients_.empty(); }
  size_t size() const { return clients_.size(); }

  void setWeight(const std::string& client, double weight);
  void allocated(const std::string& client, const Scalars& s);
  void unallocated(const std::string& client, const Scalars& s);
  // The cluster total shares are computed against; every client moves.
  void setTotal(const Scalars& total);

  double share(const std::string& client) const;  // unweighted dominant share
  const Scalars& allocation(const std::string& client) const;
  // Lowest weighted share first.
  const Order& order() const { return order_; }

 private:
  struct Client {
    double weight = 1.0;
    Scalars allocation;
    double key = 0;
  };
  void place(std::string name, Client& c);

  std::unordered_map<std::string, Client> clients_;
  Order order_;
  Scalars total_;
};

}  // namespace agora
