#pragma once
// The web pages of the daemons: the master's dashboard and the frameworks' pages. Their files
// are compiled in (common/embed_assets.cmake), so a daemon needs nothing installed beside
// it; --webui_dir serves them from disk instead, to edit a page without a rebuild.
//
// A daemon serves its page at "/" and every file at "/ui/NAME" (the names are unique over
// all the pages: they share agora.css and agora.js).

#include <optional>
#include <string>
#include <vector>

#include "common/http_server.hpp"

namespace agora::webui {

struct Asset {
  const char* name;
  const char* bytes;
  size_t size;
};

const std::vector<Asset>& embeddedAssets();

// The answer for "/" (the file `page`) or "/ui/NAME"; nothing for any other path.
std::optional<ApiReply> serve(const ApiCall& call, const std::string& page);

// The page's files and /health: open even where bearer tokens guard the API (the files hold
// no data; the page asks for a token when the API answers 401).
bool isPublicPath(const std::string& method, const std::string& path);

}  // namespace agora::webui
