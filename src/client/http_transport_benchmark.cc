// HttpTransport against a real HttpServer on loopback (TLS, an ApiServer over a MemoryStore):
// GETs of one small ConfigMap, one at a time and 16 at once, over HTTP/1.1 (a pool of
// kept-alive connections, one per call in flight) and over HTTP/2 (streams of one
// connection). The server and the client each run on a one-thread io_context of their own,
// as in http_transport_test, so a call crosses threads as it does between a hollow node and
// the server. Figures: docs/performance.md (Micro-benchmarks, HTTP/2).
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "apiserver/api_server.h"
#include "apiserver/http_server.h"
#include "base/clock.h"
#include "benchmark/benchmark.h"
#include "client/http_transport.h"
#include "client/loopback_pki_for_test.h"
#include "store/memory_store.h"

namespace shoal::client {
namespace {

namespace asio = boost::asio;

class Env {
 public:
  explicit Env(bool http2) {
    absl::StatusOr<std::unique_ptr<LoopbackPkiForTest>> pki =
        LoopbackPkiForTest::Create("http_transport_benchmark");
    if (!pki.ok() || !api_.Start().ok()) std::abort();
    pki_ = *std::move(pki);
    server_ = std::make_unique<apiserver::HttpServer>(server_io_, api_, pki_->ServerOptions());
    if (!server_->Listen().ok()) std::abort();
    server_thread_ = std::thread([this] { server_io_.run(); });
    client_thread_ = std::thread([this] { client_io_.run(); });
    const Kubeconfig kc = pki_->KubeconfigFor(server_->port());
    HttpTransportOptions topts;
    topts.http2 = http2;
    topts.max_idle_connections = 32;
    absl::StatusOr<std::unique_ptr<HttpTransport>> t =
        HttpTransport::Create(client_io_.get_executor(), kc, topts);
    if (!t.ok()) std::abort();
    transport_ = *std::move(t);
    Request create = MakeRequest(
        "POST", "/api/v1/namespaces/default/configmaps",
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}})");
    absl::StatusOr<Response> r = Call(std::move(create)).get();
    if (!r.ok() || r->code != 201) std::abort();
  }
  ~Env() {
    server_->Stop();
    client_work_.reset();
    server_work_.reset();
    client_io_.stop();
    server_io_.stop();
    client_thread_.join();
    server_thread_.join();
    transport_.reset();
  }

  std::future<absl::StatusOr<Response>> Call(Request req) {
    return asio::co_spawn(client_io_, transport_->Call(std::move(req)), asio::use_future);
  }

 private:
  std::unique_ptr<LoopbackPkiForTest> pki_;
  base::RealClock clock_;
  store::MemoryStore store_;
  apiserver::ApiServer api_{store_, api::Registry::Default(), clock_, {}};
  asio::io_context server_io_{1};
  asio::io_context client_io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> server_work_ =
      asio::make_work_guard(server_io_);
  asio::executor_work_guard<asio::io_context::executor_type> client_work_ =
      asio::make_work_guard(client_io_);
  std::unique_ptr<apiserver::HttpServer> server_;
  std::thread server_thread_;
  std::thread client_thread_;
  std::unique_ptr<HttpTransport> transport_;
};

// state.range(0): 1 = HTTP/2; state.range(1): calls in flight at once.
void BM_Get(benchmark::State& state) {
  Env env(state.range(0) == 1);
  const int concurrent = static_cast<int>(state.range(1));
  for (auto _ : state) {
    std::vector<std::future<absl::StatusOr<Response>>> calls;
    calls.reserve(static_cast<size_t>(concurrent));
    for (int i = 0; i < concurrent; ++i) {
      calls.push_back(env.Call(MakeRequest("GET", "/api/v1/namespaces/default/configmaps/cm")));
    }
    for (auto& call : calls) {
      absl::StatusOr<Response> r = call.get();
      if (!r.ok() || r->code != 200) {
        state.SkipWithError("a GET failed");
        return;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * concurrent);
}
BENCHMARK(BM_Get)
    ->ArgsProduct({{0, 1}, {1, 16}})
    ->ArgNames({"http2", "in_flight"})
    ->UseRealTime();

}  // namespace
}  // namespace shoal::client
