#include "common/envelope.hpp"

#include <cstring>

#include <capnp/schema.h>
#include <kj/exception.h>

namespace agora {

// The check in decodeEnvelope() walks every pointer once with a traversal limit of the
// message's own size, which a message whose pointers do not alias can never exceed: that is
// what stops amplification. The handlers' reader then gets a budget of its own, so that a
// valid message is never refused halfway through a handler for what the check spent, and
// a handler may read a field more than once.
static constexpr uint64_t kHandlerReadsPerWord = 4;

InboundEnvelope::InboundEnvelope(kj::Array<capnp::word> words, const DecodeLimits& limits)
    : words_(kj::mv(words)) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kHandlerReadsPerWord * words_.size() + 1024;
  options.nestingLimit = limits.nestingLimit;
  reader_ = std::make_unique<capnp::FlatArrayMessageReader>(words_.asPtr(), options);
  root_ = reader_->getRoot<proto::Envelope>();
}

Try<std::unique_ptr<InboundEnvelope>> decodeEnvelope(const void* data, size_t size,
                                                      const DecodeLimits& limits) {
  if (size > limits.maxBytes)
    return Error("message of " + std::to_string(size) + " bytes exceeds the limit of " +
                 std::to_string(limits.maxBytes));
  if (size == 0 || size % sizeof(capnp::word) != 0)
    return Error("message of " + std::to_string(size) + " bytes is not a whole number of 8-byte words");
  // ZeroMQ buffers are often not word-aligned, and the flat-array reader needs alignment:
  // copying always is simpler than checking and costs little at these sizes.
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, size);
  try {
    {
      // totalSize() walks every pointer, so a malformed message fails here and not later
      // inside a handler.
      capnp::ReaderOptions options;
      options.traversalLimitInWords = words.size();
      options.nestingLimit = limits.nestingLimit;
      capnp::FlatArrayMessageReader check(words.asPtr(), options);
      (void)check.getRoot<proto::Envelope>().totalSize();
    }
    auto msg = std::make_unique<InboundEnvelope>(kj::mv(words), limits);
    uint32_t version = msg->get().getVersion();
    if (version != proto::PROTOCOL_VERSION)
      return Error("protocol version " + std::to_string(version) + " is not supported (this peer speaks " +
                   std::to_string(proto::PROTOCOL_VERSION) + ")");
    static const size_t kinds = capnp::Schema::from<proto::Envelope>().getUnionFields().size();
    if (static_cast<unsigned>(msg->get().which()) >= kinds)
      return Error("unknown message kind " + std::to_string(static_cast<unsigned>(msg->get().which())));
    return msg;
  } catch (const kj::Exception& e) {
    return Error(std::string("malformed message: ") + e.getDescription().cStr());
  }
}

OutboundEnvelope::OutboundEnvelope() : root_(message_.initRoot<proto::Envelope>()) {
  root_.setVersion(proto::PROTOCOL_VERSION);
}

std::string envelopeKind(proto::Envelope::Reader e) {
  auto schema = capnp::Schema::from<proto::Envelope>();
  KJ_IF_MAYBE(field, schema.getFieldByDiscriminant(static_cast<uint16_t>(e.which()))) {
    return field->getProto().getName().cStr();
  }
  return "unknown(" + std::to_string(static_cast<unsigned>(e.which())) + ")";
}

}  // namespace agora
