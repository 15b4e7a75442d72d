#pragma once
// One ZeroMQ message carries one Cap'n Proto message whose root is a proto::Envelope.
// Decoding never trusts the bytes: it enforces a maximum size, a traversal limit and a
// nesting limit, walks every pointer once up front (bounds), and checks the protocol version.
// That is not a full validation: it does not check that a Text field ends in NUL or that a
// pointer points at the type the schema gives its field. A handler's read of such a field
// throws kj::Exception, and so may one past the reader's traversal budget; handlers need not
// catch it themselves, because MessageSocket::dispatch catches it and drops the message as
// malformed; the throw can come midway, so a handler should read (decode) what it needs before
// it changes any state. Code that reads an envelope outside dispatch must catch kj::Exception
// itself.

#include <memory>
#include <string>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "common/try.hpp"
#include "proto/agora.capnp.h"

namespace agora {

struct DecodeLimits {
  size_t maxBytes = 16 << 20;
  int nestingLimit = 16;
};

// A received envelope that owns the bytes it reads from.
class InboundEnvelope {
 public:
  InboundEnvelope(kj::Array<capnp::word> words, const DecodeLimits& limits);
  proto::Envelope::Reader get() const { return root_; }

 private:
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
  proto::Envelope::Reader root_;
};

Try<std::unique_ptr<InboundEnvelope>> decodeEnvelope(const void* data, size_t size,
                                                      const DecodeLimits& limits = {});

// A message under construction; its root Envelope already carries the protocol version.
class OutboundEnvelope {
 public:
  OutboundEnvelope();
  proto::Envelope::Builder get() { return root_; }
  kj::Array<capnp::word> encode() { return capnp::messageToFlatArray(message_); }

 private:
  capnp::MallocMessageBuilder message_;
  proto::Envelope::Builder root_;
};

// The message kind, for logs: "statusUpdate".
std::string envelopeKind(proto::Envelope::Reader e);

}  // namespace agora
