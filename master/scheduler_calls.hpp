#pragma once
// What a subscribed framework may ask of the master, decoded and checked at the edge, so that
// handlers never hold Cap'n Proto readers and a second transport (the HTTP scheduler API of a
// later issue) only needs a decoder of its own into these same calls.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/types.hpp"
#include "proto/agora.capnp.h"

namespace agora::calls {

// One operation of an accept. A task or resource list that cannot be read stays here as its
// error, so that the framework hears about that task alone.
struct AcceptStep {
  std::vector<Try<TaskInfo>> launch;
  std::optional<Try<Resources>> reserve, unreserve;
};

struct Accept {
  std::vector<std::string> offerIds;
  std::vector<AcceptStep> steps;  // in order: a RESERVE provides what a later LAUNCH uses
  double refuseSeconds = 0;
  // Every task of every step, for the answer to an accept refused as a whole.
  std::vector<Try<TaskInfo>> tasks() const;
};

struct Decline {
  std::vector<std::string> offerIds;
  double refuseSeconds = 0;
};

struct Kill {
  std::string taskId;
  std::optional<double> gracePeriodSeconds;  // nothing: the task's own kill policy
};

struct ReconcileTask {
  std::string taskId;
  std::string agentId;
};

struct Reconcile {
  std::vector<ReconcileTask> tasks;  // empty: all of the framework's tasks
};

struct Acknowledge {
  std::string agentId, taskId, uuid;
};

struct Suppress {
  std::vector<std::string> roles;  // empty: all of the framework's roles
};

struct Revive {
  std::vector<std::string> roles;
};

struct Teardown {};
struct Pong {};

using Call = std::variant<Accept, Decline, Kill, Reconcile, Acknowledge, Suppress, Revive, Teardown, Pong>;

// The call in `message`; nothing if the envelope holds no scheduler call; an error that says
// what is wrong with one that exceeds the codec's caps.
Try<std::optional<Call>> decode(proto::Envelope::Reader message);

}  // namespace agora::calls
