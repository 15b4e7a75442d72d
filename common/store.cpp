#include "common/store.hpp"

#include <mutex>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

namespace agora {

namespace {

class RocksDbStore final : public Store {
 public:
  explicit RocksDbStore(rocksdb::DB* db) : db_(db) {}
  ~RocksDbStore() override { delete db_; }

  Try<std::optional<std::string>> get(const std::string& key) const override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return Error("store read of '" + key + "' failed: " + s.ToString());
    return std::optional<std::string>(std::move(value));
  }

  Try<std::map<std::string, std::string>> scan(const std::string& prefix) const override {
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
      out.emplace(it->key().ToString(), it->value().ToString());
    if (!it->status().ok()) return Error("store scan of '" + prefix + "' failed: " + it->status().ToString());
    return out;
  }

  Status apply(const std::vector<StoreWrite>& batch) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return write(batch);
  }

  Try<bool> compareAndApply(const std::string& key, const std::optional<std::string>& expected,
                            const std::vector<StoreWrite>& batch) override {
    // One process owns the database: holding the lock across the read and the write makes
    // them one step for every writer of this store.
    std::lock_guard<std::mutex> lock(mutex_);
    Try<std::optional<std::string>> current = get(key);
    if (current.isError()) return Error(current.error());
    if (*current != expected) return false;
    Status written = write(batch);
    if (!written.ok()) return Error(written.error());
    return true;
  }

 private:
  Status write(const std::vector<StoreWrite>& batch) {
    rocksdb::WriteBatch b;
    for (const StoreWrite& w : batch) {
      rocksdb::Status s = w.value ? b.Put(w.key, *w.value) : b.Delete(w.key);
      if (!s.ok()) return Error("store batch entry '" + w.key + "': " + s.ToString());
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    rocksdb::Status s = db_->Write(options, &b);
    if (!s.ok()) {
      std::string first = batch.empty() ? std::string() : " (first key '" + batch.front().key + "')";
      return Error("store write of " + std::to_string(batch.size()) + " entries" + first + " failed: " + s.ToString());
    }
    return Status::OK();
  }

  rocksdb::DB* db_;
  std::mutex mutex_;  // orders writers; reads need none
};

}  // namespace

Try<std::unique_ptr<Store>> openRocksDbStore(const std::string& directory) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, directory, &db);
  if (!s.ok()) return Error("cannot open the store at " + directory + ": " + s.ToString());
  return std::unique_ptr<Store>(new RocksDbStore(db));
}

}  // namespace agora
