#pragma once
// Conversions between the plain values of common/types.hpp and their Cap'n Proto form.
// Reading checks what the schema cannot (negative scalars, inverted ranges), so that code
// behind the transport trusts what it gets.

#include "common/types.hpp"
#include "proto/agora.capnp.h"

namespace agora::codec {

// The longest lists a peer may send. Far above any real use, and low enough that a hostile
// message is refused before it costs the receiver more than a moment.
inline constexpr size_t kMaxResources = 1024;       // entries of one resource list
inline constexpr size_t kMaxRanges = 65536;         // ranges or items of one resource
inline constexpr size_t kMaxAttributes = 256;
inline constexpr size_t kMaxLabels = 256;           // labels of one task
inline constexpr size_t kMaxAgentTasks = 100000;    // tasks an agent reports when it re-registers
inline constexpr size_t kMaxOperations = 1000;      // operations of one accept
inline constexpr size_t kMaxTasksPerCall = 10000;   // tasks of one launch, or of one reconcile
inline constexpr size_t kMaxOfferIds = 1000;        // offers named by one accept or decline

// OK, or "<what> has 2000 entries; the limit is 1000".
Status checkLength(const std::string& what, size_t length, size_t limit);

void write(const Resources& in, capnp::List<proto::Resource>::Builder out);
Try<Resources> read(capnp::List<proto::Resource>::Reader in);

void write(const Attributes& in, capnp::List<proto::Attribute>::Builder out);
// Checks the count and that names and values are UTF-8 of bounded length.
Try<Attributes> read(capnp::List<proto::Attribute>::Reader in);

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
