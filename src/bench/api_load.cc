#include "bench/api_load.h"

#include <string.h>
#include <sys/utsname.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "base/clock.h"
#include "base/strings.h"
#include "client/https_client.h"
#include "bench/latency.h"
#include "bench/pod_template.h"
#include "bench/server_process.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using http_verb = boost::beast::http::verb;
using Clock = std::chrono::steady_clock;
using client::HttpResult;
using client::HttpsConnection;
using client::Kubeconfig;
using client::MakeClientTlsContext;
using client::ServerTarget;
using client::TargetFromKubeconfig;

namespace {

constexpr int kMaxConsecutiveIoErrors = 20;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The resourceVersion of an object answered by the server. Objects come in canonical form
// (metadata first), so the first "resourceVersion" member is metadata's.
std::string ResourceVersionOf(std::string_view body) {
  constexpr std::string_view kKey = "\"resourceVersion\":\"";
  size_t at = body.find(kKey);
  if (at == std::string_view::npos) return "";
  at += kKey.size();
  size_t end = body.find('"', at);
  return end == std::string_view::npos ? "" : std::string(body.substr(at, end - at));
}

// Counts the pods in a streamed List body: occurrences of `"kind":"Pod"` (each item of a
// canonical PodList carries it once), across piece boundaries.
class ItemCounter {
 public:
  void Add(std::string_view piece) {
    tail_.append(piece.substr(0, std::min(piece.size(), kNeedle.size() - 1)));
    Scan(tail_);
    tail_.assign(piece.substr(piece.size() - std::min(piece.size(), kNeedle.size() - 1)));
    Scan(piece);
  }
  int64_t count() const { return count_; }

 private:
  static constexpr std::string_view kNeedle = "\"kind\":\"Pod\"";
  void Scan(std::string_view text) {
    // memmem, not string_view::find: find stops at every '"', and JSON is full of them.
    const char* p = text.data();
    const char* end = text.data() + text.size();
    while (const void* hit = memmem(p, end - p, kNeedle.data(), kNeedle.size())) {
      ++count_;
      p = static_cast<const char*>(hit) + kNeedle.size();
    }
  }
  std::string tail_;  // the previous piece's last bytes, joined with the next piece's first
  int64_t count_ = 0;
};

PodArgs NewPod(std::string_view ns, std::string_view name, std::string_view group) {
  PodArgs a;
  a.ns = ns;
  a.name = name;
  a.group = group;
  return a;
}

// `pod` (a JSON object from the server) with its bench.shoal.io/revision annotation set to
// `note`; the resourceVersion it carries stays, so the update is conditional on it.
std::string WithRevisionNote(std::string pod, int64_t note) {
  constexpr std::string_view kKey = R"("bench.shoal.io/revision":")";
  size_t at = pod.find(kKey);
  if (at == std::string::npos) return pod;
  size_t start = at + kKey.size();
  size_t end = pod.find('"', start);
  if (end == std::string::npos) return pod;
  pod.replace(start, end - start, std::to_string(note));
  return pod;
}

struct PodRef {
  std::string name;
  std::string rv;
  int64_t note = 0;
  std::string last;  // the object as the server last returned it (updates send it back)
};

// What one client did in one phase.
struct ClientStats {
  LatencyRecorder latency;
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;  // HTTP code or I/O error -> count
  int consecutive_io_errors = 0;

  // Records a failed request; false when the client should give up (the server is gone).
  bool Fail(const absl::StatusOr<HttpResult>& r) {
    if (r.ok()) {
      consecutive_io_errors = 0;
      ++errors[base::StrCat("HTTP ", r->status)];
      return true;
    }
    ++errors[std::string(r.status().message())];
    return ++consecutive_io_errors < kMaxConsecutiveIoErrors;
  }
  void Succeed(Clock::duration d) {
    consecutive_io_errors = 0;
    latency.Add(d);
    ++ok;
  }
};

struct Client {
  asio::any_io_executor executor;
  std::unique_ptr<HttpsConnection> conn;
  std::vector<PodRef> pods;  // created by this client in the load namespace
  std::mt19937_64 rng;
};

// One phase: its clients' stats and the shared work counter.
struct Phase {
  std::string name;
  Clock::time_point deadline;
  int64_t limit = 0;  // > 0: stop after this many operations instead of at the deadline
  std::atomic<int64_t> next{0};
  std::vector<ClientStats> stats;
  double seconds = 0;
  ProcessStats server_before, server_after, self_before, self_after;
  bool have_server = false;

  // Claims the next operation index, or -1 when the phase is over.
  int64_t Claim() {
    if (limit > 0) {
      int64_t i = next.fetch_add(1);
      return i < limit ? i : -1;
    }
    if (Clock::now() >= deadline) return -1;
    return next.fetch_add(1);
  }
};

class Runner {
 public:
  Runner(const ApiLoadOptions& options, ServerTarget target, std::shared_ptr<asio::ssl::context> tls)
      : options_(options), target_(std::move(target)), tls_(std::move(tls)) {
    int n = std::max(options.clients, options.list_clients);
    std::seed_seq seed{20261123};
    std::vector<uint32_t> seeds(n);
    seed.generate(seeds.begin(), seeds.end());
    for (int i = 0; i < n; ++i) {
      Client c;
      c.executor = options.client_threads > 1 ? asio::any_io_executor(asio::make_strand(io_))
                                              : asio::any_io_executor(io_.get_executor());
      c.conn = std::make_unique<HttpsConnection>(c.executor, *tls_, target_);
      c.rng.seed(seeds[i]);
      clients_.push_back(std::move(c));
    }
  }

  // Runs one phase: `n` clients each running `work(client, phase)`, after connecting them
  // (so that TLS handshakes are not timed). Blocks until every client is done.
  template <typename Work>
  void RunPhase(Phase& ph, int n, int64_t limit, Work work) {
    ph.stats.resize(n);
    ph.limit = limit;
    Drive(n, [this](int c) -> asio::awaitable<void> {
      absl::Status st = co_await clients_[c].conn->Connect();
      (void)st;  // a failure shows up as errors of the phase itself
    });
    ph.have_server = options_.server_pid > 0 && ReadProcessStats(options_.server_pid).ok();
    if (ph.have_server) ph.server_before = *ReadProcessStats(options_.server_pid);
    ph.self_before = SelfStats();
    auto start = Clock::now();
    ph.deadline = start + std::chrono::seconds(options_.duration_s);
    Drive(n, [&](int c) { return work(c, ph); });
    ph.seconds = Seconds(Clock::now() - start);
    ph.self_after = SelfStats();
    if (ph.have_server) {
      auto s = ReadProcessStats(options_.server_pid);
      ph.have_server = s.ok();
      if (s.ok()) ph.server_after = *s;
    }
  }

  enum class Outcome { kOk, kFailed, kGiveUp };

  // One timed request on client `cl`: a success if it answers `want` (its body then goes to
  // `*response` if given), otherwise a failure recorded in `st` (kGiveUp: stop this client).
  // Coroutine parameters are taken by value: a coroutine outlives the call's temporaries.
  asio::awaitable<Outcome> Timed(Client& cl, ClientStats& st, http_verb verb, std::string target,
                                 std::string body, int want, std::string* response = nullptr) {
    auto t0 = Clock::now();
    absl::StatusOr<HttpResult> r = co_await cl.conn->Send(verb, std::move(target), std::move(body));
    auto dt = Clock::now() - t0;
    if (!r.ok() || r->status != want) co_return st.Fail(r) ? Outcome::kFailed : Outcome::kGiveUp;
    st.Succeed(dt);
    if (response != nullptr) *response = std::move(r->body);
    co_return Outcome::kOk;
  }

  asio::awaitable<void> Create(int c, Phase& ph, std::string ns, std::string prefix, bool keep) {
    Client& cl = clients_[c];
    const std::string target = base::StrCat("/api/v1/namespaces/", ns, "/pods");
    const std::string group = keep ? base::StrCat("c", c) : "list";
    for (int64_t i = ph.Claim(); i >= 0; i = ph.Claim()) {
      std::string name = base::StrCat(prefix, i);
      std::string body = PodJson(NewPod(ns, name, group));
      std::string tgt = target;
      std::string response;
      Outcome o = co_await Timed(cl, ph.stats[c], http_verb::post, std::move(tgt),
                                 std::move(body), 201, &response);
      if (o == Outcome::kGiveUp) break;
      if (o == Outcome::kOk && keep) {
        std::string rv = ResourceVersionOf(response);
        cl.pods.push_back({std::move(name), std::move(rv), 0, std::move(response)});
      }
    }
  }

  asio::awaitable<void> Update(int c, Phase& ph, std::string ns) {
    Client& cl = clients_[c];
    if (cl.pods.empty()) co_return;
    const std::string group = base::StrCat("c", c);
    size_t k = 0;
    for (int64_t i = ph.Claim(); i >= 0; i = ph.Claim(), k = (k + 1) % cl.pods.size()) {
      PodRef& pod = cl.pods[k];
      // Read-modify-write as clients do it: the object last returned (defaults, admission
      // results and managedFields included), with its revision annotation changed. A fresh
      // template would drop fields set at admission, which pod updates may not change.
      std::string body = WithRevisionNote(pod.last, pod.note + 1);
      std::string tgt = base::StrCat("/api/v1/namespaces/", ns, "/pods/", pod.name);
      std::string response;
      Outcome o = co_await Timed(cl, ph.stats[c], http_verb::put, std::move(tgt),
                                 std::move(body), 200, &response);
      if (o == Outcome::kGiveUp) break;
      if (o == Outcome::kOk) {
        pod.rv = ResourceVersionOf(response);
        pod.last = std::move(response);
        ++pod.note;
      }
    }
  }

  asio::awaitable<void> Get(int c, Phase& ph, std::string ns) {
    Client& cl = clients_[c];
    if (cl.pods.empty()) co_return;
    for (int64_t i = ph.Claim(); i >= 0; i = ph.Claim()) {
      const PodRef& pod = cl.pods[cl.rng() % cl.pods.size()];
      std::string tgt = base::StrCat("/api/v1/namespaces/", ns, "/pods/", pod.name);
      std::string body;
      Outcome o = co_await Timed(cl, ph.stats[c], http_verb::get, std::move(tgt),
                                 std::move(body), 200);
      if (o == Outcome::kGiveUp) break;
    }
  }

  // The first page (limit=--list-limit) of `ns`, again and again.
  asio::awaitable<void> List(int c, Phase& ph, std::string ns) {
    Client& cl = clients_[c];
    const std::string target =
        base::StrCat("/api/v1/namespaces/", ns, "/pods?limit=", options_.list_limit);
    for (int64_t i = ph.Claim(); i >= 0; i = ph.Claim()) {
      std::string tgt = target;
      std::string body;
      Outcome o = co_await Timed(cl, ph.stats[c], http_verb::get, std::move(tgt),
                                 std::move(body), 200);
      if (o == Outcome::kGiveUp) break;
    }
  }

  // Full LISTs of `ns`, one after another on client 0. The body is streamed and only its
  // items counted, so that the client's cost does not grow with the response (like
  // `curl -o /dev/null`): the figure is the server's time to answer plus the transfer.
  asio::awaitable<void> ListAll(std::string ns, json::array* runs) {
    for (int i = 0; i < options_.list_repeats; ++i) {
      std::string tgt = base::StrCat("/api/v1/namespaces/", ns, "/pods");
      std::string body;
      ItemCounter counter;
      HttpsConnection::BodySink sink = [&counter](int, std::string_view piece) {
        counter.Add(piece);
        return true;
      };
      absl::StatusOr<HttpResult> r = co_await clients_[0].conn->SendStreaming(
          http_verb::get, std::move(tgt), std::move(body), std::move(sink));
      json::object run;
      if (!r.ok()) {
        run["error"] = std::string(r.status().message());
      } else {
        run["status"] = r->status;
        run["seconds"] = Seconds(r->total);
        run["first_byte_seconds"] = Seconds(r->first_byte);
        run["bytes"] = r->body_bytes;
        run["items"] = counter.count();
      }
      runs->push_back(std::move(run));
    }
  }

  // Creates a setup object (AlreadyExists is fine): the namespace, and the PriorityClass the
  // pod template names (pods naming an unknown class are rejected).
  absl::Status CreateSetupObject(std::string target, std::string body) {
    absl::Status out;
    Drive(1, [&](int c) -> asio::awaitable<void> {
      std::string tgt = target;
      std::string b = body;
      absl::StatusOr<HttpResult> r =
          co_await clients_[c].conn->Send(http_verb::post, std::move(tgt), std::move(b));
      if (!r.ok()) {
        out = r.status();
      } else if (r->status != 201 && r->status != 409) {
        out = absl::UnavailableError(base::StrCat("creating ", target, ": HTTP ", r->status,
                                                  ": ", r->body.substr(0, 300)));
      }
    });
    return out;
  }

  int64_t PodsCreated(const Phase& ph) const {
    int64_t n = 0;
    for (const ClientStats& s : ph.stats) n += s.ok;
    return n;
  }

 private:
  // Spawns fn(0..n-1) and runs the io_context on `client_threads` threads until all finish.
  template <typename Fn>
  void Drive(int n, Fn fn) {
    for (int c = 0; c < n; ++c) asio::co_spawn(clients_[c].executor, fn(c), asio::detached);
    std::vector<std::thread> extra;
    for (int t = 1; t < options_.client_threads; ++t) extra.emplace_back([this] { io_.run(); });
    io_.run();
    for (std::thread& t : extra) t.join();
    io_.restart();
  }

  const ApiLoadOptions& options_;
  const ServerTarget target_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::io_context io_;
  std::vector<Client> clients_;
};

json::object LatencyJson(const LatencySummary& s) {
  return {{"count", s.count}, {"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms},
          {"p90_ms", s.p90_ms}, {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}};
}

json::object PhaseJson(Phase& ph) {
  LatencyRecorder all;
  std::map<std::string, int64_t> errors;
  int64_t ok = 0;
  for (ClientStats& s : ph.stats) {
    all.Merge(s.latency);
    ok += s.ok;
    for (const auto& [k, v] : s.errors) errors[k] += v;
  }
  json::object errs;
  int64_t nerr = 0;
  for (const auto& [k, v] : errors) {
    errs[k] = v;
    nerr += v;
  }
  json::object o{{"clients", static_cast<int64_t>(ph.stats.size())},
                 {"ops", ok},
                 {"errors", nerr},
                 {"error_kinds", std::move(errs)},
                 {"seconds", ph.seconds},
                 {"ops_per_s", ph.seconds > 0 ? ok / ph.seconds : 0.0},
                 {"latency", LatencyJson(all.Summarize())},
                 {"client_cpu_s", ph.self_after.cpu_s() - ph.self_before.cpu_s()}};
  if (ph.have_server) {
    double cpu = ph.server_after.cpu_s() - ph.server_before.cpu_s();
    o["server_cpu_s"] = cpu;
    o["server_cpu_user_s"] = ph.server_after.user_cpu_s - ph.server_before.user_cpu_s;
    o["server_cpu_system_s"] = ph.server_after.system_cpu_s - ph.server_before.system_cpu_s;
    o["server_cpu_per_op_us"] = ok > 0 ? cpu / ok * 1e6 : 0.0;
  }
  return o;
}

std::string FirstLineWith(const std::string& path, std::string_view prefix) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(prefix, 0) == 0) {
      size_t colon = line.find(':');
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

json::object MachineJson() {
  utsname u{};
  uname(&u);
  std::string mem = FirstLineWith("/proc/meminfo", "MemTotal");
  return {{"nproc", static_cast<int64_t>(std::thread::hardware_concurrency())},
          {"cpu_model", FirstLineWith("/proc/cpuinfo", "model name")},
          {"mem_total_gib", std::strtod(mem.c_str(), nullptr) / (1024.0 * 1024.0)},
          {"kernel", base::StrCat(u.sysname, " ", u.release)}};
}

std::string Suffix() {
  std::random_device rd;
  return fmt::format("{:06x}", rd() & 0xffffff);
}

double Num(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

const json::value* At(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (std::string_view k : path) {
    if (cur == nullptr) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    v = &it->value();
    cur = v->if_object();
  }
  return v;
}

}  // namespace

absl::StatusOr<json::object> RunApiLoad(const Kubeconfig& kc, const ApiLoadOptions& o) {
  auto target = TargetFromKubeconfig(kc);
  if (!target.ok()) return target.status();
  auto tls = MakeClientTlsContext(kc.ca_pem);
  if (!tls.ok()) return tls.status();
  Runner runner(o, *target, *tls);

  const std::string suffix = Suffix();
  const std::string load_ns = base::StrCat("bench-load-", suffix);
  const std::string list_ns = base::StrCat("bench-list-", suffix);
  for (const std::string& ns : {load_ns, list_ns}) {
    if (absl::Status st = runner.CreateSetupObject(
            "/api/v1/namespaces",
            base::StrCat(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")", ns,
                         R"("}})"));
        !st.ok()) {
      return st;
    }
    if (absl::Status st = runner.CreateSetupObject(
            "/apis/scheduling.k8s.io/v1/priorityclasses",
            base::StrCat(R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)",
                         R"("metadata":{"name":")", kPodPriorityClass, R"("},"value":1000})"));
        !st.ok()) {
      return st;
    }
  }
  json::object report;
  report["scenario"] = "api-load";
  report["date"] = base::FormatRfc3339(std::chrono::system_clock::now());
  report["machine"] = MachineJson();
  report["server"] = json::object{{"url", kc.server},
                                  {"pid", o.server_pid > 0 ? json::value(o.server_pid) : nullptr}};
  report["config"] = json::object{{"clients", o.clients},
                                  {"duration_s", o.duration_s},
                                  {"pods", o.pods},
                                  {"list_pods", o.list_pods},
                                  {"list_clients", o.list_clients},
                                  {"list_repeats", o.list_repeats},
                                  {"list_limit", o.list_limit},
                                  {"client_threads", o.client_threads},
                                  {"load_namespace", load_ns},
                                  {"list_namespace", list_ns},
                                  {"pod_bytes", static_cast<int64_t>(PodJson(NewPod(load_ns, "load-00000", "c0")).size())}};
  if (o.server_pid > 0) {
    if (auto s = ReadProcessStats(o.server_pid); s.ok()) {
      report["server_idle_rss_bytes"] = s->rss_bytes;
    }
  }

  json::object phases;
  Phase create;
  runner.RunPhase(create, o.clients, o.pods, [&](int c, Phase& ph) {
    return runner.Create(c, ph, load_ns, "load-", /*keep=*/true);
  });
  phases["create"] = PhaseJson(create);
  const int64_t load_pods = runner.PodsCreated(create);

  Phase update;
  runner.RunPhase(update, o.clients, 0,
                  [&](int c, Phase& ph) { return runner.Update(c, ph, load_ns); });
  phases["update"] = PhaseJson(update);
  Phase get;
  runner.RunPhase(get, o.clients, 0, [&](int c, Phase& ph) { return runner.Get(c, ph, load_ns); });
  phases["get"] = PhaseJson(get);
  Phase list;
  runner.RunPhase(list, o.clients, 0,
                  [&](int c, Phase& ph) { return runner.List(c, ph, load_ns); });
  phases["list"] = PhaseJson(list);
  report["phases"] = std::move(phases);

  json::object list_all;
  int64_t list_pods = 0;
  if (o.list_pods > 0) {
    Phase fill;
    runner.RunPhase(fill, o.list_clients, o.list_pods, [&](int c, Phase& ph) {
      return runner.Create(c, ph, list_ns, "list-", /*keep=*/false);
    });
    list_pods = runner.PodsCreated(fill);
    list_all["create"] = PhaseJson(fill);
    json::array runs;
    Phase lists;
    runner.RunPhase(lists, 1, 1, [&](int, Phase&) { return runner.ListAll(list_ns, &runs); });
    double best = 0, median = 0;
    std::vector<double> secs;
    for (const json::value& r : runs) {
      if (const json::value* s = r.get_object().if_contains("seconds")) secs.push_back(Num(s));
    }
    std::sort(secs.begin(), secs.end());
    if (!secs.empty()) {
      best = secs.front();
      median = secs[secs.size() / 2];
    }
    list_all["pods"] = list_pods;
    list_all["runs"] = std::move(runs);
    list_all["best_seconds"] = best;
    list_all["median_seconds"] = median;
    if (lists.have_server) {
      list_all["server_cpu_s"] = lists.server_after.cpu_s() - lists.server_before.cpu_s();
      // Memory held before the LISTs (every pod created) and after them (what the big
      // responses left behind).
      list_all["server_rss_before_bytes"] = lists.server_before.rss_bytes;
      list_all["server_rss_after_bytes"] = lists.server_after.rss_bytes;
      list_all["server_peak_rss_bytes"] = lists.server_after.peak_rss_bytes;
    }
    list_all["client_cpu_s"] = lists.self_after.cpu_s() - lists.self_before.cpu_s();
  }
  json::object held{{"pods", load_pods + list_pods}};
  if (o.server_pid > 0) {
    if (auto s = ReadProcessStats(o.server_pid); s.ok()) {
      // Holding every pod: before the full LISTs when they ran (their ~2x response-size
      // buffers are transient), otherwise now.
      const json::value* before = list_all.if_contains("server_rss_before_bytes");
      held["rss_bytes"] = before != nullptr ? before->as_int64() : s->rss_bytes;
      held["rss_now_bytes"] = s->rss_bytes;
      held["peak_rss_bytes"] = s->peak_rss_bytes;
      held["cpu_user_s"] = s->user_cpu_s;
      held["cpu_system_s"] = s->system_cpu_s;
    }
  }
  report["list_all"] = std::move(list_all);
  report["server_resources"] = std::move(held);

  // Issue 2's goals on a 2-core machine.
  json::array goals;
  {
    double rate = Num(At(report, {"phases", "create", "ops_per_s"}));
    double p99 = Num(At(report, {"phases", "create", "latency", "p99_ms"}));
    bool applicable = o.clients == 16;
    goals.push_back(json::object{
        {"goal", ">= 5000 durable pod creates/s with p99 < 50 ms from 16 clients"},
        {"value", fmt::format("{:.0f} creates/s, p99 {:.1f} ms ({} clients)", rate, p99, o.clients)},
        {"met", applicable ? json::value(rate >= 5000 && p99 < 50) : json::value(nullptr)}});
  }
  {
    double median = Num(At(report, {"list_all", "median_seconds"}));
    bool applicable = list_pods >= 100000;
    goals.push_back(json::object{
        {"goal", "LIST of 100,000 pods < 1 s"},
        {"value", fmt::format("{:.3f} s median for {} pods", median, list_pods)},
        {"met", applicable ? json::value(median > 0 && median < 1.0) : json::value(nullptr)}});
  }
  {
    const json::value* rss = At(report, {"server_resources", "rss_bytes"});
    int64_t pods = load_pods + list_pods;
    bool applicable = rss != nullptr && pods >= 150000;
    goals.push_back(json::object{
        {"goal", "server memory < 1 GiB holding 150,000 pods"},
        {"value", rss == nullptr ? std::string("not measured (server PID unknown)")
                                 : fmt::format("{:.0f} MiB RSS holding {} pods",
                                               Num(rss) / (1 << 20), pods)},
        {"met", applicable ? json::value(Num(rss) < (1 << 30)) : json::value(nullptr)}});
  }
  report["goals"] = std::move(goals);
  return report;
}

std::string ApiLoadSummary(const json::object& r) {
  std::string out;
  const json::object& cfg = r.at("config").as_object();
  base::StrAppend(&out, "shoal bench api-load: ", json::serialize(r.at("date")), " against ",
                  json::serialize(r.at("server").as_object().at("url")), "\n");
  const json::object& m = r.at("machine").as_object();
  out += fmt::format("machine: {} cores ({}), {:.1f} GiB\n", Num(&m.at("nproc")),
                     json::value_to<std::string>(m.at("cpu_model")), Num(&m.at("mem_total_gib")));
  out += fmt::format("clients: {} (x{} client threads), pod JSON {} bytes\n\n",
                     Num(&cfg.at("clients")), Num(&cfg.at("client_threads")),
                     Num(&cfg.at("pod_bytes")));
  out += fmt::format("{:<8} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}\n", "op",
                     "ops", "errors", "ops/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
                     "server cpu", "client cpu");
  for (const auto& [name, v] : r.at("phases").as_object()) {
    const json::object& p = v.as_object();
    const json::object& l = p.at("latency").as_object();
    const json::value* scpu = p.if_contains("server_cpu_s");
    out += fmt::format("{:<8} {:>9} {:>7} {:>10.0f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>10} {:>10.2f}s\n",
                       std::string_view(name), Num(&p.at("ops")), Num(&p.at("errors")),
                       Num(&p.at("ops_per_s")), Num(&l.at("p50_ms")), Num(&l.at("p90_ms")),
                       Num(&l.at("p99_ms")), Num(&l.at("max_ms")),
                       scpu ? fmt::format("{:.2f}s", Num(scpu)) : "-",
                       Num(&p.at("client_cpu_s")));
    if (Num(&p.at("errors")) > 0) {
      out += fmt::format("         errors: {}\n", json::serialize(p.at("error_kinds")));
    }
  }
  const json::object& la = r.at("list_all").as_object();
  if (!la.empty()) {
    const json::object& c = la.at("create").as_object();
    const json::object& l = c.at("latency").as_object();
    out += fmt::format(
        "\nfill: {} pods created by {} clients in {:.1f} s: {:.0f} creates/s, p50 {:.2f} ms, "
        "p99 {:.2f} ms, errors {}\n",
        Num(&la.at("pods")), Num(&c.at("clients")), Num(&c.at("seconds")), Num(&c.at("ops_per_s")),
        Num(&l.at("p50_ms")), Num(&l.at("p99_ms")), Num(&c.at("errors")));
    for (const json::value& run : la.at("runs").as_array()) {
      const json::object& ro = run.as_object();
      if (ro.contains("error")) {
        out += fmt::format("LIST all: error {}\n", json::serialize(ro.at("error")));
        continue;
      }
      out += fmt::format("LIST all: HTTP {}, {} items, {:.1f} MB in {:.3f} s (first byte {:.3f} s)\n",
                         Num(&ro.at("status")), Num(&ro.at("items")), Num(&ro.at("bytes")) / 1e6,
                         Num(&ro.at("seconds")), Num(&ro.at("first_byte_seconds")));
    }
  }
  const json::object& sr = r.at("server_resources").as_object();
  if (sr.contains("rss_bytes")) {
    out += fmt::format(
        "\nserver holding {} pods: RSS {:.0f} MiB (now {:.0f} MiB, peak {:.0f} MiB); CPU {:.1f} s "
        "user + {:.1f} s system in all\n",
        Num(&sr.at("pods")), Num(&sr.at("rss_bytes")) / (1 << 20),
        Num(&sr.at("rss_now_bytes")) / (1 << 20), Num(&sr.at("peak_rss_bytes")) / (1 << 20),
        Num(&sr.at("cpu_user_s")), Num(&sr.at("cpu_system_s")));
  }
  out += "\ngoals (issue 2):\n";
  for (const json::value& g : r.at("goals").as_array()) {
    const json::object& go = g.as_object();
    const json::value& met = go.at("met");
    out += fmt::format("  [{}] {}: {}\n",
                       met.is_null() ? "n/a " : met.get_bool() ? "MET " : "MISS",
                       json::value_to<std::string>(go.at("goal")),
                       json::value_to<std::string>(go.at("value")));
  }
  return out;
}

}  // namespace shoal::bench
