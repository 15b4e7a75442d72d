#pragma once
// Roles as a tree ("eng", "eng/ml", "eng/ml/training"; "*" is the default role), each with a
// weight and a quota, and the allocation of each subtree. Every node orders its children by
// weighted DRF (its own frameworks count as one more child, kSelf) and orders the frameworks
// registered in exactly that role, so that the allocator walks from the root to the
// framework that is furthest below its fair share.

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/try.hpp"
#include "master/allocator/drf_sorter.hpp"

namespace agora {

struct Quota {
  Resources guarantee;  // offered before fair share: what the role can count on
  Resources limit;      // never exceeded; empty: no limit
};

// "eng/ml": segments of letters, digits, '_', '-', '.' (not "." or ".."), or "*".
Status validateRole(const std::string& role);
// "eng/ml/training" -> {"eng", "eng/ml", "eng/ml/training"}; "*" -> {"*"}.
std::vector<std::string> roleAndAncestors(const std::string& role);

class RoleTree {
 public:
  static constexpr const char* kSelf = ".";
  static constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

  struct Node {
    std::string path;  // "" for the root
    Node* parent = nullptr;
    std::map<std::string, std::unique_ptr<Node>> children;  // by path
    double weight = 1.0;
    Quota quota;
    Scalars guarantee;      // quota.guarantee as scalars
    Scalars limit;          // quota.limit as scalars; kUnlimited where unset
    Scalars allocated;      // this subtree
    DrfSorter order;        // children by path, and kSelf
    DrfSorter frameworks;   // frameworks registered in exactly this role
    int eligible = 0;       // (framework, role) pairs in this subtree that may be offered
  };

  RoleTree();
  Node& root() { return *root_; }
  Node* find(const std::string& path);
  // Creates the node and its ancestors as needed.
  Node& ensure(const std::string& path);
  // Removes the node and ancestors that hold nothing: no framework, child, allocation,
  // quota, or weight other than 1.
  void prune(Node& node);

  void addFramework(Node& node, const std::string& frameworkId);
  void removeFramework(Node& node, const std::string& frameworkId);
  // Whether this (framework, role) may be offered resources (active and not suppressed).
  void setEligible(Node& node, bool eligible);

  void allocate(Node& node, const std::string& frameworkId, const Scalars& s);
  void unallocate(Node& node, const std::string& frameworkId, const Scalars& s);

  void setWeight(Node& node, double weight);
  void setQuota(Node& node, const Quota& quota, ScalarNames& names);
  void setTotal(const Scalars& total);

  // Every node that has a quota guarantee.
  std::vector<Node*> guaranteed();
  void forEach(const std::function<void(Node&)>& fn);

 private:
  void forEach(Node& node, const std::function<void(Node&)>& fn);
  std::unique_ptr<Node> root_;
  Scalars total_;
};

}  // namespace agora
