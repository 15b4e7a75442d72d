#include "common/etcd_store.hpp"

#include <functional>

namespace agora {

namespace {

class EtcdStore final : public Store {
 public:
  EtcdStore(EtcdTarget target, const std::string& subPrefix)
      : client_(std::move(target)), root_(client_.target().prefix + "/" + subPrefix + "/") {}

  Try<std::optional<std::string>> get(const std::string& key) const override {
    Try<std::vector<EtcdKeyValue>> kvs = client_.range(root_ + key);
    if (kvs.isError()) return Error(kvs.error());
    if (kvs->empty()) return std::optional<std::string>();
    return std::optional<std::string>(kvs->front().value);
  }

  Try<std::map<std::string, std::string>> scan(const std::string& prefix) const override {
    Try<std::vector<EtcdKeyValue>> kvs = client_.range(root_ + prefix, true);
    if (kvs.isError()) return Error(kvs.error());
    std::map<std::string, std::string> out;
    for (EtcdKeyValue& kv : *kvs) out[kv.key.substr(root_.size())] = std::move(kv.value);
    return out;
  }

  Status apply(const std::vector<StoreWrite>& batch) override {
    Try<bool> done = transact({}, batch);
    return done.isError() ? Status(Error(done.error())) : Status::OK();
  }

  Try<bool> compareAndApply(const std::string& key, const std::optional<std::string>& expected,
                            const std::vector<StoreWrite>& batch) override {
    // The guard is a full key (a leader's key lives outside this store's prefix).
    return transact({{key, expected}}, batch);
  }

  size_t maxBatchWrites() const override { return kEtcdMaxTxnOps; }

 private:
  Try<bool> transact(const std::vector<EtcdCompare>& compares, const std::vector<StoreWrite>& batch) {
    if (batch.size() > kEtcdMaxTxnOps)
      return Error("a batch of " + std::to_string(batch.size()) + " writes is more than etcd takes in one transaction (" +
                   std::to_string(kEtcdMaxTxnOps) + ")");
    std::vector<EtcdOp> ops;
    ops.reserve(batch.size());
    for (const StoreWrite& w : batch) ops.push_back({root_ + w.key, w.value, 0});
    return client_.txn(compares, ops);
  }

  EtcdClient client_;
  std::string root_;
};

class GuardedStore final : public Store {
 public:
  GuardedStore(std::unique_ptr<Store> inner, std::string key, std::shared_ptr<const std::string> value,
               std::function<void()> onDeposed)
      : inner_(std::move(inner)), key_(std::move(key)), value_(std::move(value)), onDeposed_(std::move(onDeposed)) {}

  Try<std::optional<std::string>> get(const std::string& key) const override { return inner_->get(key); }
  Try<std::map<std::string, std::string>> scan(const std::string& prefix) const override { return inner_->scan(prefix); }
  Status apply(const std::vector<StoreWrite>& batch) override {
    Try<bool> held = inner_->compareAndApply(key_, *value_, batch);
    if (held.isError()) return Error(held.error());
    if (*held) return Status::OK();
    if (onDeposed_) onDeposed_();
    return Error("not written: this process no longer leads (" + key_ + " is not " + *value_ + ")");
  }
  Try<bool> compareAndApply(const std::string&, const std::optional<std::string>&, const std::vector<StoreWrite>&) override {
    return Error("a guarded store takes no other guard");
  }
  size_t maxBatchWrites() const override { return inner_->maxBatchWrites(); }

 private:
  std::unique_ptr<Store> inner_;
  std::string key_;
  std::shared_ptr<const std::string> value_;
  std::function<void()> onDeposed_;
};

}  // namespace

std::unique_ptr<Store> openEtcdStore(EtcdTarget target, const std::string& subPrefix) {
  return std::make_unique<EtcdStore>(std::move(target), subPrefix);
}

std::unique_ptr<Store> guardStore(std::unique_ptr<Store> inner, std::string guardKey,
                                  std::shared_ptr<const std::string> guardValue, std::function<void()> onDeposed) {
  return std::make_unique<GuardedStore>(std::move(inner), std::move(guardKey), std::move(guardValue), std::move(onDeposed));
}

}  // namespace agora
