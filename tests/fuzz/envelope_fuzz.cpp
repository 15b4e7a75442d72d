// agora::decodeEnvelope on any bytes, as the master, agents, schedulers and supervisors receive
// ZeroMQ messages, and then what a handler does with a message that decoded: name its kind,
// decode it into the plain values of common/types.hpp (common/codec.hpp, and the master's
// calls::decode for scheduler calls), and read every field the schema has.
//
// decodeEnvelope must never throw and must refuse unknown kinds. Behind it, the reads run as
// MessageSocket::dispatch (common/transport.cpp) runs a handler: a kj::Exception from reading
// a field drops the message there ("message could not be read"), so it is caught here too, and
// only there. Sanitizer reports and failed checks anywhere are findings.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include "common/codec.hpp"
#include "common/envelope.hpp"
#include "master/scheduler_calls.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace agora;

// Reads every set field, as a handler that looks at all of the message would. Bounded by the
// message's nesting limit and the reader's traversal limit.
void walk(capnp::DynamicValue::Reader value, size_t& bytes);

void walkStruct(capnp::DynamicStruct::Reader s, size_t& bytes) {
  for (capnp::StructSchema::Field field : s.getSchema().getNonUnionFields())
    if (s.has(field, capnp::HasMode::NON_DEFAULT)) walk(s.get(field), bytes);
  KJ_IF_MAYBE(active, s.which()) { walk(s.get(*active), bytes); }
}

void walk(capnp::DynamicValue::Reader value, size_t& bytes) {
  switch (value.getType()) {
    case capnp::DynamicValue::TEXT: {
      capnp::Text::Reader t = value.as<capnp::Text>();
      bytes += t.size();
      FUZZ_CHECK(t.cStr()[t.size()] == '\0', "a text without its NUL");
      break;
    }
    case capnp::DynamicValue::DATA: bytes += value.as<capnp::Data>().size(); break;
    case capnp::DynamicValue::LIST:
      for (capnp::DynamicValue::Reader element : value.as<capnp::DynamicList>()) walk(element, bytes);
      break;
    case capnp::DynamicValue::STRUCT: walkStruct(value.as<capnp::DynamicStruct>(), bytes); break;
    case capnp::DynamicValue::ENUM: (void)value.as<capnp::DynamicEnum>().getRaw(); break;
    default: break;
  }
}

// The wire form of `in`, read back.
template <typename Builder, typename Value>
void checkRoundTrip(const Value& in, const char* what) {
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<Builder>();
  codec::write(in, builder);
  auto back = codec::read(message.getRoot<Builder>().asReader());
  if constexpr (std::is_same_v<decltype(back), Value>) {
    FUZZ_CHECK(back == in, std::string(what) + " does not survive codec::write and codec::read");
  } else {
    FUZZ_CHECK(back.ok(), std::string(what) + " read once, but not after codec::write: " + (back.ok() ? "" : back.error()));
    FUZZ_CHECK(*back == in, std::string(what) + " does not survive codec::write and codec::read");
  }
}

void checkResources(const Resources& r) {
  fuzz::checkInvariants(r);
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<proto::Offer>().initResources(static_cast<unsigned>(codec::count(r)));
  codec::write(r, list);
  Try<Resources> back = codec::read(message.getRoot<proto::Offer>().asReader().getResources());
  FUZZ_CHECK(back.ok(), "'" + r.toString() + "' does not read after codec::write: " + (back.ok() ? "" : back.error()));
  FUZZ_CHECK(*back == r, "'" + r.toString() + "' comes back as '" + back->toString() + "'");
}

void checkTask(const Try<TaskInfo>& task) {
  if (task.ok()) checkResources(task->resources);
}

void checkFramework(const FrameworkInfo& f) {
  // NaN is not equal to itself; anything else must come back as it was.
  if (!std::isnan(f.failoverTimeoutSeconds)) checkRoundTrip<proto::FrameworkInfo>(f, "a FrameworkInfo");
}

// What the handlers of each kind decode (master/, agent/, frameworks/sdk/).
void decodeAsHandlers(proto::Envelope::Reader e) {
  Try<std::optional<calls::Call>> call = calls::decode(e);
  if (call.ok() && *call) {
    if (const auto* accept = std::get_if<calls::Accept>(&**call)) {
      for (const calls::AcceptStep& step : accept->steps) {
        for (const Try<TaskInfo>& t : step.launch) checkTask(t);
        if (step.reserve && step.reserve->ok()) checkResources(**step.reserve);
        if (step.unreserve && step.unreserve->ok()) checkResources(**step.unreserve);
      }
      (void)accept->tasks();
    }
  }
  switch (e.which()) {
    case proto::Envelope::REGISTER_AGENT: {
      auto in = e.getRegisterAgent();
      Try<AgentInfo> agent = codec::read(in.getAgent());
      if (agent.ok()) {
        checkResources(agent->resources);
        checkRoundTrip<proto::AgentInfo>(*agent, "an AgentInfo");
      }
      for (auto t : in.getTasks()) {
        (void)t.getFrameworkId();
        (void)t.getState();
        checkTask(codec::read(t.getTask()));
      }
      break;
    }
    case proto::Envelope::RUN_TASK: {
      checkFramework(codec::read(e.getRunTask().getFramework()));
      checkTask(codec::read(e.getRunTask().getTask()));
      break;
    }
    case proto::Envelope::SUBSCRIBE: checkFramework(codec::read(e.getSubscribe().getFramework())); break;
    case proto::Envelope::STATUS_UPDATE: (void)codec::read(e.getStatusUpdate().getStatus()); break;
    case proto::Envelope::UPDATE: (void)codec::read(e.getUpdate().getStatus()); break;
    case proto::Envelope::OFFERS:
      for (auto o : e.getOffers().getOffers()) {
        Try<Offer> offer = codec::read(o);
        if (offer.ok()) checkResources(offer->resources);
      }
      break;
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Try<std::unique_ptr<InboundEnvelope>> in = decodeEnvelope(data, size);
  if (in.isError()) {
    FUZZ_CHECK(!in.error().empty(), "a refusal without a reason");
    return 0;
  }
  proto::Envelope::Reader e = (*in)->get();
  FUZZ_CHECK(e.getVersion() == proto::PROTOCOL_VERSION, "another protocol version was accepted");
  const std::string kind = envelopeKind(e);
  FUZZ_CHECK(!kind.empty() && kind.rfind("unknown(", 0) != 0, "a message of kind '" + kind + "' was accepted");

  try {
    decodeAsHandlers(e);
  } catch (const kj::Exception&) {
    // Dropped by MessageSocket::dispatch as "could not be read".
  }
  try {
    size_t bytes = 0;
    walk(capnp::toDynamic(e), bytes);
    // The reader's traversal limit (common/envelope.cpp: 4 words per word of the message, plus
    // 1024) bounds all reads together, aliased pointers included: no more text than that.
    FUZZ_CHECK(bytes <= 4 * size + 8192, "read " + std::to_string(bytes) + " bytes out of a " + std::to_string(size) +
                                             "-byte message");
  } catch (const kj::Exception&) {
    // As above.
  }
  return 0;
}
