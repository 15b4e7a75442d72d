#include "master/offer_book.hpp"

namespace agora {

void OfferBook::add(const Offer& offer) {
  offers_[offer.id] = offer;
  byAgent_[offer.agentId].insert(offer.id);
  byFramework_[offer.frameworkId].insert(offer.id);
}

std::optional<Offer> OfferBook::take(const std::string& offerId) {
  auto it = offers_.find(offerId);
  if (it == offers_.end()) return std::nullopt;
  Offer offer = std::move(it->second);
  offers_.erase(it);
  unindex(byAgent_, offer.agentId, offerId);
  unindex(byFramework_, offer.frameworkId, offerId);
  return offer;
}

const Offer* OfferBook::find(const std::string& offerId) const {
  auto it = offers_.find(offerId);
  return it == offers_.end() ? nullptr : &it->second;
}

std::set<std::string> OfferBook::ofAgent(const std::string& agentId) const { return lookup(byAgent_, agentId); }

std::set<std::string> OfferBook::ofFramework(const std::string& frameworkId) const {
  return lookup(byFramework_, frameworkId);
}

std::set<std::string> OfferBook::lookup(const std::map<std::string, std::set<std::string>>& index,
                                        const std::string& key) {
  auto it = index.find(key);
  return it == index.end() ? std::set<std::string>() : it->second;
}

// Empty entries go, so that ten thousand agents that come and go leave nothing behind.
void OfferBook::unindex(std::map<std::string, std::set<std::string>>& index, const std::string& key,
                        const std::string& offerId) {
  auto it = index.find(key);
  if (it == index.end()) return;
  it->second.erase(offerId);
  if (it->second.empty()) index.erase(it);
}

}  // namespace agora
