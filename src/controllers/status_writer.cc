#include "controllers/status_writer.h"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace shoal::controllers {

namespace asio = boost::asio;

StatusWriter::StatusWriter(asio::any_io_executor executor, client::Transport& transport,
                           std::string who, std::function<void()> on_failure)
    : executor_(std::move(executor)),
      transport_(transport),
      who_(std::move(who)),
      on_failure_(std::move(on_failure)) {}

void StatusWriter::Write(const std::string& key, std::string path, std::string status) {
  Object& o = objects_[key];
  o.erased = false;
  o.path = std::move(path);
  o.want = std::move(status);
  if (o.busy || o.want == o.written) return;
  o.busy = true;
  asio::co_spawn(executor_, Loop(key), asio::detached);
}

void StatusWriter::Forget(const std::string& key) {
  if (auto it = objects_.find(key); it != objects_.end()) it->second.written.clear();
}

void StatusWriter::Erase(const std::string& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  if (it->second.busy) {
    it->second.erased = true;
  } else {
    objects_.erase(it);
  }
}

asio::awaitable<void> StatusWriter::Loop(std::string key) {
  for (;;) {
    auto it = objects_.find(key);
    if (it == objects_.end()) co_return;
    if (it->second.erased) {
      objects_.erase(it);
      co_return;
    }
    if (it->second.want == it->second.written) {
      it->second.busy = false;
      co_return;
    }
    const std::string text = it->second.want;
    auto resp = co_await transport_.Call(
        client::MakeRequest("PATCH", it->second.path, base::StrCat(R"({"status":)", text, "}"),
                            "application/merge-patch+json"));
    const bool failed = !resp.ok() || (resp->code >= 300 && resp->code != 404);
    it = objects_.find(key);
    if (it == objects_.end()) co_return;
    if (failed) {
      spdlog::warn("{}: status of {} not written: {}", who_, key,
                   resp.ok() ? base::StrCat("HTTP ", resp->code, ": ", resp->Text().substr(0, 300))
                             : resp.status().ToString());
      it->second.written.clear();  // written again by the next Write
      if (on_failure_) on_failure_();
      it = objects_.find(key);
      if (it == objects_.end()) co_return;
      // A newer status asked for meanwhile is tried at once; the same one waits for a Write.
      if (!it->second.erased && it->second.want != text) continue;
      it->second.busy = false;
      if (it->second.erased) objects_.erase(it);
      co_return;
    }
    it->second.written = text;
  }
}

}  // namespace shoal::controllers
