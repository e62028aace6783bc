// InProcessApiForTest: shoal's real ApiServer over a MemoryStore, served in process on an
// io_context that one thread runs: the ground on which a controller's or the scheduler's unit
// tests run the component against real API semantics, without sockets.
//
// Use: make the component with `io().get_executor()` and a transport over `transport()`,
// start it with asio::post(io(), ...), and in the test's destructor call Stop() before
// destroying the component (its coroutines must not outlive the io_context's thread).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/object.h"
#include "apiserver/api_server.h"
#include "base/clock.h"
#include "client/in_process_transport.h"
#include "store/memory_store.h"

namespace shoal::client {

class InProcessApiForTest {
 public:
  InProcessApiForTest()
      : api_(store_, api::Registry::Default(), base::RealClock::Get(), {}),
        transport_(api_),
        work_(boost::asio::make_work_guard(io_)) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~InProcessApiForTest() {
    Stop();
    store_.Close();
  }

  // Stops the io_context and joins its thread (again: nothing).
  void Stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // One request, from the test's thread; a transport failure is a test failure and code 0.
  Response Call(std::string method, std::string path, std::string body = "",
                std::string content_type = "application/json") {
    return Call(MakeRequest(std::move(method), std::move(path), std::move(body),
                            std::move(content_type)));
  }
  Response Call(Request r) {
    auto resp =
        boost::asio::co_spawn(io_, transport_.Call(std::move(r)), boost::asio::use_future).get();
    EXPECT_TRUE(resp.ok());
    if (resp.ok()) return *resp;
    Response failed;
    failed.code = 0;
    return failed;
  }
  // The body of a GET as JSON (null when it is not JSON).
  boost::json::value Get(const std::string& path) {
    auto v = api::ParseJson(Call("GET", path).Text());
    return v.ok() ? *v : boost::json::value();
  }

  boost::asio::io_context& io() { return io_; }
  // The API server's own client side, in process; wrap it to inject faults or count calls.
  InProcessTransport& transport() { return transport_; }

  // Polls `done` every 20 ms for up to `limit`; whether it came true.
  static bool WaitFor(const std::function<bool()>& done,
                      std::chrono::seconds limit = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

 private:
  store::MemoryStore store_;
  apiserver::ApiServer api_;
  boost::asio::io_context io_{1};
  InProcessTransport transport_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace shoal::client
