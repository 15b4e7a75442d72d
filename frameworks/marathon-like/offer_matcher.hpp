#pragma once
// Places waiting instances on offers: many per agent and per accept, each app's
// constraints checked against where its instances already run, and for every offer an app
// could not use, the reason why, counted for /v2/queue.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "frameworks/marathon-like/app.hpp"
#include "frameworks/sdk/constraints.hpp"
#include "frameworks/sdk/offer_matching.hpp"

namespace agora::marathon {

// Why offers went unused by one app, since `since`; Marathon's reason names.
struct OfferReasons {
  double since = 0;  // wall-clock seconds
  uint64_t processed = 0;
  uint64_t unused = 0;
  double lastUsedAt = 0, lastUnusedAt = 0;
  std::map<std::string, uint64_t> declined;     // "InsufficientMemory" -> offers
  std::map<std::string, uint64_t> constraints;  // "hostname UNIQUE: ..." -> offers
  struct Largest {
    double amount = -1;
    std::string agent;
  };
  std::map<std::string, Largest> largest;  // per scalar the app lacked: the most one offer had
  std::map<std::string, double> needs;     // what the app asks for of those scalars

  // "needs mem 2048, largest offer had 1024 (agent agent-3)", or empty.
  std::string closest() const;
};

struct LaunchRequest {
  const AppDefinition* app = nullptr;
  uint32_t count = 0;
  std::vector<sdk::Constraint> constraints;
  std::vector<sdk::Placed> placed;  // where the app's live instances run; grows as this places more
};

struct PlannedLaunch {
  size_t request = 0;  // index into the requests
  size_t agent = 0;    // index into the agents
  sdk::Taken taken;
};

sdk::TaskNeeds needsOf(const AppDefinition& app);

// Takes what it places out of `agents` and from each request's count.
std::vector<PlannedLaunch> matchOffers(std::vector<sdk::AgentOffers>& agents, std::vector<LaunchRequest>& requests,
                                       std::map<std::string, OfferReasons>& reasons, double now);

}  // namespace agora::marathon
