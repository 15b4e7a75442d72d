#include "master/scheduler_calls.hpp"

#include <cmath>

#include "common/codec.hpp"

namespace agora::calls {

namespace {

std::vector<std::string> texts(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (auto t : list) out.emplace_back(t.cStr());
  return out;
}

double refuseSeconds(proto::Filters::Reader filters) {
  double s = filters.getRefuseSeconds();
  return std::isfinite(s) && s > 0 ? s : 0;
}

Try<Call> accept(proto::Accept::Reader in) {
  Status n = codec::checkLength("offer ids of an accept", in.getOfferIds().size(), codec::kMaxOfferIds);
  if (n.ok()) n = codec::checkLength("operations of an accept", in.getOperations().size(), codec::kMaxOperations);
  if (!n.ok()) return Error(n.error());
  Accept out;
  out.offerIds = texts(in.getOfferIds());
  out.refuseSeconds = refuseSeconds(in.getFilters());
  size_t tasks = 0;
  for (auto op : in.getOperations()) {
    AcceptStep step;
    if (op.isLaunch()) {
      tasks += op.getLaunch().size();
      Status count = codec::checkLength("tasks of an accept", tasks, codec::kMaxTasksPerCall);
      if (!count.ok()) return Error(count.error());
      for (auto t : op.getLaunch()) step.launch.push_back(codec::read(t));
    } else if (op.isReserve()) {
      step.reserve = codec::read(op.getReserve());
    } else {
      step.unreserve = codec::read(op.getUnreserve());
    }
    out.steps.push_back(std::move(step));
  }
  return Call(std::move(out));
}

Try<Call> reconcile(proto::Reconcile::Reader in) {
  Status n = codec::checkLength("tasks of a reconciliation", in.getTasks().size(), codec::kMaxTasksPerCall);
  if (!n.ok()) return Error(n.error());
  Reconcile out;
  for (auto t : in.getTasks()) out.tasks.push_back({t.getTaskId(), t.getAgentId()});
  return Call(std::move(out));
}

Try<std::vector<std::string>> roles(proto::FrameworkCall::Reader in) {
  Status n = codec::checkLength("roles of a call", in.getRoles().size(), codec::kMaxLabels);
  if (!n.ok()) return Error(n.error());
  return texts(in.getRoles());
}

}  // namespace

std::vector<Try<TaskInfo>> Accept::tasks() const {
  std::vector<Try<TaskInfo>> all;
  for (const AcceptStep& step : steps) all.insert(all.end(), step.launch.begin(), step.launch.end());
  return all;
}

Try<std::optional<Call>> decode(proto::Envelope::Reader m) {
  auto some = [](Try<Call> call) -> Try<std::optional<Call>> {
    if (call.isError()) return Error(call.error());
    return std::optional<Call>(std::move(*call));
  };
  switch (m.which()) {
    case proto::Envelope::ACCEPT: return some(accept(m.getAccept()));
    case proto::Envelope::DECLINE: {
      auto in = m.getDecline();
      Status n = codec::checkLength("offer ids of a decline", in.getOfferIds().size(), codec::kMaxOfferIds);
      if (!n.ok()) return Error(n.error());
      return some(Call(Decline{texts(in.getOfferIds()), refuseSeconds(in.getFilters())}));
    }
    case proto::Envelope::KILL: {
      auto in = m.getKill();
      double grace = in.getGracePeriodSeconds();
      std::optional<double> given;
      if (std::isfinite(grace) && grace >= 0) given = grace;
      return some(Call(Kill{in.getTaskId(), given}));
    }
    case proto::Envelope::RECONCILE: return some(reconcile(m.getReconcile()));
    case proto::Envelope::ACKNOWLEDGE: {
      auto in = m.getAcknowledge();
      return some(Call(Acknowledge{in.getAgentId(), in.getTaskId(), in.getUuid()}));
    }
    case proto::Envelope::SUPPRESS:
    case proto::Envelope::REVIVE: {
      bool suppress = m.which() == proto::Envelope::SUPPRESS;
      Try<std::vector<std::string>> r = roles(suppress ? m.getSuppress() : m.getRevive());
      if (r.isError()) return Error(r.error());
      return some(suppress ? Call(Suppress{*r}) : Call(Revive{*r}));
    }
    case proto::Envelope::TEARDOWN: return some(Call(Teardown{}));
    case proto::Envelope::PONG: return some(Call(Pong{}));
    default: return std::optional<Call>();
  }
}

}  // namespace agora::calls
