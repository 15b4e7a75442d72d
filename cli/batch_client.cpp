#include "cli/batch_client.hpp"

#include <cstdlib>

#include <gflags/gflags.h>

#include "cli/credentials.hpp"
#include "cli/framework_client.hpp"

DEFINE_string(batch, "", "agora-batch's HTTP address host:port (default: $AGORA_BATCH, else 127.0.0.1:9000,127.0.0.1:9010); several, comma-separated, are tried in turn (instances with standbys).");

namespace agora::cli {

std::string batchAddress() {
  if (!FLAGS_batch.empty()) return FLAGS_batch;
  if (const char* env = std::getenv("AGORA_BATCH"); env && *env) return env;
  if (const Try<Credentials>& c = credentials(); !c.isError() && !c->batch.empty()) return c->batch;
  return "127.0.0.1:9000,127.0.0.1:9010";  // and the standby of `agora dev --ha`
}

Try<ApiReply> callBatch(const std::string& method, const std::string& target, const std::string& body) {
  return callFramework(batchAddress(), "agora-batch", "give --batch=HOST:PORT or $AGORA_BATCH", method, target, body);
}

}  // namespace agora::cli
