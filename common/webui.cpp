#include "common/webui.hpp"

#include <fstream>
#include <sstream>

#include <gflags/gflags.h>

#include "common/text.hpp"

DEFINE_string(webui_dir, "", "Serve the web pages from these folders (comma-separated; the first that holds a file "
                             "wins) instead of the copies built in: for editing a page without a rebuild, e.g. "
                             "--webui_dir=common/webui,master/webui.");

namespace agora::webui {

namespace {

std::string contentType(const std::string& name) {
  auto ends = [&](const char* suffix) {
    std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

std::optional<std::string> fromDisk(const std::string& name) {
  for (const std::string& dir : splitText(FLAGS_webui_dir, ',')) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    if (!in) continue;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  return std::nullopt;
}

std::optional<std::string> find(const std::string& name) {
  if (!FLAGS_webui_dir.empty()) return fromDisk(name);
  for (const Asset& asset : embeddedAssets())
    if (name == asset.name) return std::string(asset.bytes, asset.size);
  return std::nullopt;
}

}  // namespace

bool isPublicPath(const std::string& method, const std::string& path) {
  if (method != "GET" && method != "HEAD") return false;
  return path == "/health" || path == "/" || path == "/index.html" || path.rfind("/ui/", 0) == 0;
}

std::optional<ApiReply> serve(const ApiCall& call, const std::string& page) {
  std::string name;
  if (call.path == "/" || call.path == "/index.html") name = page;
  else if (call.path.rfind("/ui/", 0) == 0) name = call.path.substr(4);
  else return std::nullopt;
  if (call.method != "GET" && call.method != "HEAD") return errorReply(405, call.path + " answers GET only");
  // Flat names only: nothing outside the folders is ever read.
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    return errorReply(404, "no file " + call.path);
  std::optional<std::string> bytes = find(name);
  if (!bytes) return errorReply(404, "no file " + call.path + (FLAGS_webui_dir.empty() ? "" : " in --webui_dir=" + FLAGS_webui_dir));
  ApiReply reply{200, std::move(*bytes), contentType(name)};
  // The files change only with the binary; a page reload still checks.
  reply.headers["Cache-Control"] = "no-cache";
  return reply;
}

}  // namespace agora::webui
