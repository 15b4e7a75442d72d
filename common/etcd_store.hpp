#pragma once
// The Store interface on etcd, under a prefix: the registry of masters that elect a leader,
// and the state of frameworks that run as several instances. Each batch is one etcd
// transaction, so it is all-or-nothing as on RocksDB; etcd commits it to a majority of its
// members before answering.

#include <functional>
#include <memory>
#include <string>

#include "common/etcd_client.hpp"
#include "common/store.hpp"

namespace agora {

// etcd refuses a transaction of more operations than its --max-txn-ops (128 by default).
inline constexpr size_t kEtcdMaxTxnOps = 128;

// Keys are stored as PREFIX + "/" + key.
std::unique_ptr<Store> openEtcdStore(EtcdTarget target, const std::string& subPrefix);

// Every write of `inner` holds only while `guardKey` holds `*guardValue` (a leader's key with
// its own id; set before the first write, once the leader knows its addresses); once it does
// not, writes fail and `onDeposed` runs (on the writing thread). So a leader that lost its
// election cannot write, even for a moment.
std::unique_ptr<Store> guardStore(std::unique_ptr<Store> inner, std::string guardKey,
                                  std::shared_ptr<const std::string> guardValue, std::function<void()> onDeposed);

}  // namespace agora
