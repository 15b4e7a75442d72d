#include "master/allocator/role_tree.hpp"

namespace agora {

Status validateRole(const std::string& role) {
  if (role == "*") return Status::OK();
  if (role.empty()) return Error("a role name cannot be empty");
  size_t start = 0;
  while (start <= role.size()) {
    size_t slash = role.find('/', start);
    std::string segment = role.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..")
      return Error("role '" + role + "' has an empty, '.' or '..' segment; use names like eng/ml");
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '-' || c == '.';
      if (!ok) return Error("role '" + role + "' holds '" + std::string(1, c) + "'; use letters, digits, _ - . and /");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return Status::OK();
}

std::vector<std::string> roleAndAncestors(const std::string& role) {
  std::vector<std::string> out;
  for (size_t slash = role.find('/'); slash != std::string::npos; slash = role.find('/', slash + 1))
    out.push_back(role.substr(0, slash));
  out.push_back(role);
  return out;
}

RoleTree::RoleTree() : root_(std::make_unique<Node>()) { root_->limit.milli.fill(kUnlimited); }

RoleTree::Node* RoleTree::find(const std::string& path) {
  Node* node = root_.get();
  for (const std::string& p : roleAndAncestors(path)) {
    auto it = node->children.find(p);
    if (it == node->children.end()) return nullptr;
    node = it->second.get();
  }
  return node;
}

RoleTree::Node& RoleTree::ensure(const std::string& path) {
  Node* node = root_.get();
  for (const std::string& p : roleAndAncestors(path)) {
    auto& child = node->children[p];
    if (!child) {
      child = std::make_unique<Node>();
      child->path = p;
      child->parent = node;
      child->limit.milli.fill(kUnlimited);
      child->order.setTotal(total_);
      child->frameworks.setTotal(total_);
      child->order.add(kSelf);
      node->order.add(p);
    }
    node = child.get();
  }
  return *node;
}

void RoleTree::prune(Node& start) {
  Node* node = &start;
  while (node != root_.get()) {
    bool empty = node->children.empty() && node->frameworks.empty() && !node->allocated.anyPositive() &&
                 node->weight == 1.0 && node->quota.guarantee.empty() && node->quota.limit.empty();
    if (!empty) return;
    Node* parent = node->parent;
    parent->order.remove(node->path);
    parent->children.erase(node->path);
    node = parent;
  }
}

void RoleTree::addFramework(Node& node, const std::string& frameworkId) { node.frameworks.add(frameworkId); }

void RoleTree::removeFramework(Node& node, const std::string& frameworkId) { node.frameworks.remove(frameworkId); }

void RoleTree::setEligible(Node& node, bool eligible) {
  for (Node* n = &node; n != nullptr; n = n->parent) n->eligible += eligible ? 1 : -1;
}

void RoleTree::allocate(Node& node, const std::string& frameworkId, const Scalars& s) {
  node.frameworks.allocated(frameworkId, s);
  node.order.allocated(kSelf, s);
  for (Node* n = &node; n != root_.get(); n = n->parent) {
    n->allocated += s;
    n->parent->order.allocated(n->path, s);
  }
}

void RoleTree::unallocate(Node& node, const std::string& frameworkId, const Scalars& s) {
  node.frameworks.unallocated(frameworkId, s);
  node.order.unallocated(kSelf, s);
  for (Node* n = &node; n != root_.get(); n = n->parent) {
    n->allocated -= s;
    n->parent->order.unallocated(n->path, s);
  }
}

void RoleTree::setWeight(Node& node, double weight) {
  node.weight = weight;
  if (node.parent) node.parent->order.setWeight(node.path, weight);
}

void RoleTree::setQuota(Node& node, const Quota& quota, ScalarNames& names) {
  node.quota = quota;
  node.guarantee = toScalars(quota.guarantee, names);
  node.limit.milli.fill(kUnlimited);
  for (const Resource& r : quota.limit.items()) {
    int slot = r.type == Resource::Type::kScalar ? names.slot(r.name) : -1;
    if (slot >= 0) node.limit.milli[static_cast<size_t>(slot)] = r.milli;
  }
}

void RoleTree::setTotal(const Scalars& total) {
  total_ = total;
  forEach(*root_, [&](Node& n) {
    n.order.setTotal(total);
    n.frameworks.setTotal(total);
  });
}

std::vector<RoleTree::Node*> RoleTree::guaranteed() {
  std::vector<Node*> out;
  forEach(*root_, [&](Node& n) {
    if (n.guarantee.anyPositive()) out.push_back(&n);
  });
  return out;
}

void RoleTree::forEach(const std::function<void(Node&)>& fn) { forEach(*root_, fn); }

void RoleTree::forEach(Node& node, const std::function<void(Node&)>& fn) {
  fn(node);
  for (auto& [path, child] : node.children) forEach(*child, fn);
}

}  // namespace agora
