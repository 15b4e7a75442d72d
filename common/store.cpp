#include "common/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace agora {

Try<std::unique_ptr<Store>> Store::open(const std::string& directory) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, directory, &db);
  if (!s.ok()) return Error("cannot open the store at " + directory + ": " + s.ToString());
  return std::unique_ptr<Store>(new Store(db));
}

Store::~Store() { delete db_; }

static rocksdb::WriteOptions syncWrite() {
  rocksdb::WriteOptions w;
  w.sync = true;
  return w;
}

Status Store::put(const std::string& key, const std::string& value) {
  rocksdb::Status s = db_->Put(syncWrite(), key, value);
  if (!s.ok()) return Error("store write of '" + key + "' failed: " + s.ToString());
  return Status::OK();
}

Status Store::remove(const std::string& key) {
  rocksdb::Status s = db_->Delete(syncWrite(), key);
  if (!s.ok()) return Error("store delete of '" + key + "' failed: " + s.ToString());
  return Status::OK();
}

Try<std::optional<std::string>> Store::get(const std::string& key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Error("store read of '" + key + "' failed: " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

Try<std::map<std::string, std::string>> Store::scan(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    out.emplace(it->key().ToString(), it->value().ToString());
  if (!it->status().ok()) return Error("store scan of '" + prefix + "' failed: " + it->status().ToString());
  return out;
}

}  // namespace agora
