#pragma once
// The offers outstanding: made to a framework, neither accepted, declined nor rescinded yet;
// by id, and by the agent and the framework each is for.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/types.hpp"

namespace agora {

class OfferBook {
 public:
  void add(const Offer& offer);
  // Removes the offer and returns it; nothing if it was not outstanding.
  std::optional<Offer> take(const std::string& offerId);
  const Offer* find(const std::string& offerId) const;

  // Copies: callers rescind what they get, which changes the book.
  std::set<std::string> ofAgent(const std::string& agentId) const;
  std::set<std::string> ofFramework(const std::string& frameworkId) const;

  const std::map<std::string, Offer>& all() const { return offers_; }
  size_t size() const { return offers_.size(); }

 private:
  static std::set<std::string> lookup(const std::map<std::string, std::set<std::string>>& index, const std::string& key);
  static void unindex(std::map<std::string, std::set<std::string>>& index, const std::string& key,
                      const std::string& offerId);

  std::map<std::string, Offer> offers_;
  std::map<std::string, std::set<std::string>> byAgent_, byFramework_;
};

}  // namespace agora
