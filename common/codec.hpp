#pragma once
// Conversions between the plain values of common/types.hpp and their Cap'n Proto form.
// Reading checks what the schema cannot (negative scalars, inverted ranges), so that code
// behind the transport trusts what it gets.

#include "common/types.hpp"
#include "proto/agora.capnp.h"

namespace agora::codec {

void write(const Resources& in, capnp::List<proto::Resource>::Builder out);
Try<Resources> read(capnp::List<proto::Resource>::Reader in);

void write(const Attributes& in, capnp::List<proto::Attribute>::Builder out);
Attributes read(capnp::List<proto::Attribute>::Reader in);

void write(const AgentInfo& in, proto::AgentInfo::Builder out);
Try<AgentInfo> read(proto::AgentInfo::Reader in);

void write(const FrameworkInfo& in, proto::FrameworkInfo::Builder out);
FrameworkInfo read(proto::FrameworkInfo::Reader in);

void write(const TaskInfo& in, proto::TaskInfo::Builder out);
Try<TaskInfo> read(proto::TaskInfo::Reader in);

void write(const TaskStatus& in, proto::TaskStatus::Builder out);
TaskStatus read(proto::TaskStatus::Reader in);

void write(const Offer& in, proto::Offer::Builder out);
Try<Offer> read(proto::Offer::Reader in);

// Helpers that size the list and fill it.
#define AGORA_CODEC_INIT(builder, field, value) \
  ::agora::codec::write(value, builder.init##field(static_cast<unsigned>(::agora::codec::count(value))))

size_t count(const Resources& r);
size_t count(const Attributes& a);

}  // namespace agora::codec
