#include "agent/agent.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <fstream>
#include <random>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/event_recorder.h"

namespace shoal::agent {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using client::InformerEvent;
using client::MakeRequest;
using client::Request;

namespace {

constexpr const char* kPreflightTaint = "shoal.io/preflight";
constexpr const char* kUnhealthyTaint = "shoal.io/unhealthy";

using base::NowRfc3339;

// meta.MicroTime: RFC 3339 with microseconds, UTC.
std::string NowMicro() {
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(
      base::RealClock::Get().Now());
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(secs),
                     static_cast<int>((now - secs).count()));
}

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("PRETTY_NAME=")) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

}  // namespace

Agent::Agent(asio::any_io_executor executor, client::Transport& transport, Runtime& runtime,
             std::vector<GpuDevice> gpus, AgentOptions options)
    : executor_(executor),
      transport_(transport),
      runtime_(runtime),
      options_(std::move(options)),
      gpus_(std::move(gpus)),
      boot_time_(NowRfc3339()),
      events_(executor, transport, "shoal-agent", 1024, options_.node_name) {
  ctx_.executor = executor_;
  ctx_.transport = &transport_;
  ctx_.runtime = &runtime_;
  ctx_.gpus = &gpus_;
  ctx_.cgroups = options_.cgroups;
  ctx_.node_name = options_.node_name;
  ctx_.node_ip = options_.node_ip;
  ctx_.data_dir = options_.data_dir;
  ctx_.start_delay = options_.start_delay;
}

Agent::~Agent() {
  {
    std::lock_guard lock(health_mu_);
    health_stop_ = true;
  }
  health_cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
}

absl::Status Agent::Start() {
  std::error_code ec;
  fs::create_directories(options_.data_dir + "/pods", ec);
  if (ec) {
    return absl::FailedPreconditionError(
        base::StrCat("cannot create data dir ", options_.data_dir, ": ", ec.message()));
  }
  KillLeftovers();
  if (!options_.log_server.cert_path.empty()) {
    log_server_ = std::make_unique<LogServer>(
        executor_, options_.log_server,
        [this](const std::string& ns, const std::string& pod, const std::string& container,
               bool previous) { return LocateLog(ns, pod, container, previous); });
    if (absl::Status s = log_server_->Listen(); !s.ok()) return s;
  }
  healthy_since_ = boot_time_;
  if (options_.health_checks) {
    preflight_pending_ = true;  // registered with the taint; removed once preflight passes
    health_thread_ = std::thread([this] { HealthLoop(); });
  }
  asio::co_spawn(executor_, Register(), asio::detached);
  return absl::OkStatus();
}

void Agent::HealthLoop() {
  HealthMonitor monitor(options_.health);
  bool preflight = true;
  for (;;) {
    if (preflight) {
      std::vector<CheckFailure> failures = monitor.Preflight();
      preflight = !failures.empty();
      asio::post(executor_, [this, f = std::move(failures)]() mutable {
        OnPreflight(std::move(f));
      });
    }
    HealthReport report = monitor.Check();
    asio::post(executor_, [this, r = std::move(report)]() mutable { OnHealth(std::move(r)); });
    std::unique_lock lock(health_mu_);
    if (health_cv_.wait_for(lock, options_.health_interval, [this] { return health_stop_; })) {
      return;
    }
  }
}

void Agent::OnPreflight(std::vector<CheckFailure> failures) {
  if (failures.empty()) {
    if (!preflight_pending_) return;
    preflight_pending_ = false;
    spdlog::info("agent: preflight passed on {}", options_.node_name);
    RecordEvent("Normal", "PreflightPassed", "preflight checks passed; the node takes work");
    ReconcileTaints();
    return;
  }
  HealthReport r{.failures = std::move(failures)};
  std::string message = r.Summary();
  if (message == last_preflight_message_) return;
  last_preflight_message_ = message;
  spdlog::warn("agent: preflight failing on {}: {}", options_.node_name, message);
  RecordEvent("Warning", "PreflightFailed", message);
}

void Agent::OnHealth(HealthReport report) {
  const std::string summary = report.Summary();
  const bool unhealthy = !summary.empty();
  if (unhealthy == unhealthy_ && summary == report_.Summary()) return;
  const bool flipped = unhealthy != unhealthy_;
  unhealthy_ = unhealthy;
  report_ = std::move(report);
  if (flipped) {
    healthy_since_ = NowRfc3339();
    if (unhealthy) {
      spdlog::warn("agent: node {} unhealthy: {}", options_.node_name, summary);
      RecordEvent("Warning", "NodeUnhealthy", summary);
    } else {
      spdlog::info("agent: node {} healthy again", options_.node_name);
      RecordEvent("Normal", "NodeHealthy", "all health checks pass");
    }
    ReconcileTaints();
  }
  if (registered_) asio::co_spawn(executor_, PatchNodeStatus(), asio::detached);
}

void Agent::RecordEvent(std::string_view type, std::string_view reason, std::string message) {
  json::object involved{{"kind", "Node"}, {"apiVersion", "v1"}, {"name", options_.node_name}};
  events_.RecordFor("default", std::move(involved), type, reason, message);
}

void Agent::ReconcileTaints() {
  taints_dirty_ = true;
  if (taints_busy_ || !registered_) return;
  taints_busy_ = true;
  asio::co_spawn(executor_, TaintWriter(), asio::detached);
}

asio::awaitable<void> Agent::TaintWriter() {
  const std::string path = base::StrCat("/api/v1/nodes/", options_.node_name);
  int attempts = 0;
  while (taints_dirty_ && attempts++ < 20) {
    taints_dirty_ = false;
    Request get = MakeRequest("GET", path);
    auto resp = co_await transport_.Call(std::move(get));
    auto doc = resp.ok() && resp->code == 200 ? api::ParseJson(resp->Text())
                                              : absl::StatusOr<json::value>(absl::UnknownError(""));
    if (!doc.ok() || !doc->is_object()) {
      taints_dirty_ = true;
      asio::steady_timer t(executor_, std::chrono::seconds(1));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    json::object node = std::move(doc->get_object());
    json::array taints;
    std::set<std::string> have, want;
    if (const json::value* old = api::FindPath(node, "spec.taints"); old && old->is_array()) {
      for (const json::value& t : old->get_array()) {
        std::string key(api::StringAt(t, "key"));
        if (key == kPreflightTaint || key == kUnhealthyTaint) {
          have.insert(key);
        } else {
          taints.push_back(t);  // someone else's: kept
        }
      }
    }
    if (preflight_pending_) {
      want.insert(kPreflightTaint);
      taints.push_back(json::object{{"key", kPreflightTaint}, {"effect", "NoSchedule"}});
    }
    if (unhealthy_) {
      want.insert(kUnhealthyTaint);
      taints.push_back(json::object{{"key", kUnhealthyTaint}, {"effect", "NoSchedule"},
                                    {"timeAdded", NowRfc3339()}});
    }
    if (have == want) continue;
    json::value& spec = node["spec"];
    if (!spec.is_object()) spec = json::object();
    if (taints.empty()) {
      spec.get_object().erase("taints");
    } else {
      spec.get_object()["taints"] = std::move(taints);
    }
    Request put = MakeRequest("PUT", path, json::serialize(node));
    auto w = co_await transport_.Call(std::move(put));
    if (!w.ok() || w->code != 200) taints_dirty_ = true;  // conflict or failure: again
  }
  taints_busy_ = false;
}

void Agent::KillLeftovers() {
  std::error_code ec;
  for (const auto& pod : fs::directory_iterator(options_.data_dir + "/pods", ec)) {
    const std::string uid = pod.path().filename().string();
    killed_[uid];  // known: its directory goes if the pod is gone
    for (const auto& proc : fs::directory_iterator(pod.path() / "procs", ec)) {
      ProcessHandle h;
      std::ifstream(proc.path()) >> h.pid >> h.start_ticks;
      if (runtime_.KillLeftover(h)) {
        spdlog::warn("agent: killed container {} of pod {} left by an earlier agent (pid {})",
                     proc.path().filename().string(), uid, h.pid);
      }
      killed_[uid].insert(proc.path().filename().string());
      fs::remove(proc.path(), ec);
    }
  }
}

json::object Agent::NodeStatus() const {
  const int64_t cpus = std::max(1u, std::thread::hardware_concurrency());
  struct statvfs fsinfo {};
  int64_t disk = 0;
  if (statvfs(options_.data_dir.c_str(), &fsinfo) == 0) {
    disk = static_cast<int64_t>(fsinfo.f_blocks) * static_cast<int64_t>(fsinfo.f_frsize);
  }
  json::object capacity{{"cpu", std::to_string(cpus)},
                        {"memory", base::StrCat(std::max<int64_t>(0, MemInfoKi("MemTotal")), "Ki")},
                        {"ephemeral-storage", std::to_string(disk)},
                        {"pods", "110"},
                        {"nvidia.com/gpu", std::to_string(gpus_.total())}};
  for (const auto& [name, value] : options_.capacity) capacity[name] = value;
  const std::string now = NowRfc3339();
  auto cond = [&](const char* type, const char* status, const char* reason, const char* message) {
    return json::object{{"type", type},           {"status", status},
                        {"reason", reason},       {"message", message},
                        {"lastHeartbeatTime", now}, {"lastTransitionTime", boot_time_}};
  };
  json::array conditions{
      report_.memory_pressure
          ? cond("MemoryPressure", "True", "KubeletHasInsufficientMemory",
                 "shoal agent has less than 100Mi of memory available")
          : cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                 "shoal agent has sufficient memory available"),
      report_.disk_pressure
          ? cond("DiskPressure", "True", "KubeletHasDiskPressure",
                 "shoal agent has less than 10% free on its data dir")
          : cond("DiskPressure", "False", "KubeletHasNoDiskPressure",
                 "shoal agent has no disk pressure"),
      cond("PIDPressure", "False", "KubeletHasSufficientPID",
           "shoal agent has sufficient PID available"),
      cond("Ready", "True", "KubeletReady", "shoal agent is posting ready status"),
  };
  if (options_.health_checks) {
    const std::string summary = report_.Summary();
    json::object healthy =
        unhealthy_ ? cond("Healthy", "False", "HealthCheckFailed", summary.c_str())
                   : cond("Healthy", "True", "HealthChecksPassing", "all health checks pass");
    healthy["lastTransitionTime"] = healthy_since_;
    conditions.push_back(std::move(healthy));
  }
  struct utsname uts {};
  uname(&uts);
  json::object status{
      {"daemonEndpoints",
       json::object{{"kubeletEndpoint",
                     json::object{{"Port", log_server_ ? log_server_->port() : 0}}}}},
      {"capacity", capacity},
      {"allocatable", capacity},
      {"conditions", std::move(conditions)},
      {"addresses", json::array{json::object{{"type", "InternalIP"}, {"address", options_.node_ip}},
                                json::object{{"type", "Hostname"},
                                             {"address", options_.node_name}}}},
      {"nodeInfo",
       json::object{{"machineID", FirstLine("/etc/machine-id")},
                    {"systemUUID", FirstLine("/etc/machine-id")},
                    {"bootID", FirstLine("/proc/sys/kernel/random/boot_id")},
                    {"kernelVersion", uts.release},
                    {"osImage", OsImage()},
                    {"containerRuntimeVersion", "shoal-process://1"},
                    {"kubeletVersion", "v1.32.0-shoal"},
                    {"kubeProxyVersion", ""},
                    {"operatingSystem", "linux"},
                    {"architecture", uts.machine == std::string("aarch64") ? "arm64" : "amd64"}}}};
  return status;
}

json::object Agent::NodeObject() const {
  json::object labels{{"kubernetes.io/hostname", options_.node_name},
                      {"kubernetes.io/os", "linux"},
                      {"kubernetes.io/arch", "amd64"},
                      {"beta.kubernetes.io/os", "linux"},
                      {"beta.kubernetes.io/arch", "amd64"}};
  for (const auto& [k, v] : options_.labels) labels[k] = v;
  json::object annotations{
      // Whether CPU and memory limits are enforced (cgroup v2) or not (docs/operations.md).
      {"shoal.io/resource-limits", options_.cgroups ? "cgroup-v2" : "not-enforced"},
      {"shoal.io/gpus", std::to_string(gpus_.total())}};
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Node"},
                      {"metadata", json::object{{"name", options_.node_name},
                                                {"labels", std::move(labels)},
                                                {"annotations", std::move(annotations)}}},
                      {"spec", preflight_pending_
                                   ? json::object{{"taints", json::array{json::object{
                                                                {"key", kPreflightTaint},
                                                                {"effect", "NoSchedule"}}}}}
                                   : json::object{}},
                      {"status", NodeStatus()}};
}

asio::awaitable<void> Agent::Register() {
  const std::string path = base::StrCat("/api/v1/nodes/", options_.node_name);
  for (;;) {
    json::object node = NodeObject();
    Request create = MakeRequest("POST", "/api/v1/nodes", json::serialize(node));
    auto resp = co_await transport_.Call(std::move(create));
    bool ok = resp.ok() && resp->code == 201;
    if (resp.ok() && resp->code == 409) {
      // Registered before: take over its labels and status (kubelet does the same).
      json::object meta_patch{{"metadata", node["metadata"]}};
      Request patch = MakeRequest("PATCH", path, json::serialize(meta_patch),
                                  "application/merge-patch+json");
      auto p1 = co_await transport_.Call(std::move(patch));
      json::object status_patch{{"status", NodeStatus()}};
      Request st = MakeRequest("PATCH", path + "/status", json::serialize(status_patch),
                               "application/merge-patch+json");
      auto p2 = co_await transport_.Call(std::move(st));
      ok = p1.ok() && p1->code == 200 && p2.ok() && p2->code == 200;
    }
    if (ok) break;
    spdlog::warn("agent: registering node {} failed ({}); retrying",
                 options_.node_name, resp.ok() ? resp->Text() : resp.status().ToString());
    asio::steady_timer t(executor_, std::chrono::seconds(2));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  registered_ = true;
  spdlog::info("agent: node {} registered ({} GPUs)", options_.node_name, gpus_.total());
  if (taints_dirty_ || preflight_pending_) ReconcileTaints();
  asio::co_spawn(executor_, LeaseLoop(), asio::detached);
  asio::co_spawn(executor_, StatusLoop(), asio::detached);
  if (options_.external_pod_watch) {
    MaybePodsListed();
    co_return;
  }
  client::InformerOptions informer;
  informer.path = "/api/v1/pods";
  informer.field_selector = "spec.nodeName=" + options_.node_name;
  asio::co_spawn(executor_,
                 client::RunInformer(transport_, informer,
                                     [this](InformerEvent&& e) { OnPod(std::move(e)); }),
                 asio::detached);
}

void Agent::MaybePodsListed() {
  if (pods_listed_ || !registered_ || !pods_synced_) return;
  pods_listed_ = true;
  if (options_.on_pods_listed) options_.on_pods_listed();
}

double JitterFactor(double jitter, bool first, double u) {
  if (jitter <= 0) return 1.0;
  return first ? u : 1.0 - jitter + 2.0 * jitter * u;
}

asio::awaitable<void> Agent::LeaseLoop() {
  const std::string collection = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
  const std::string path = base::StrCat(collection, "/", options_.node_name);
  std::minstd_rand rng(static_cast<uint32_t>(std::hash<std::string>{}(options_.node_name)));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto renew_after = [&](double factor) {
    return std::chrono::milliseconds(
        static_cast<int64_t>(static_cast<double>(options_.lease_renew.count()) * factor));
  };
  bool first = true;
  // The first renewal creates the Lease (a node that has just registered has none), and a
  // create that finds one (the agent restarted) patches it; later renewals patch, and a patch
  // that finds none (deleted meanwhile) creates it. So a new node's first heartbeat is one
  // request, not a 404 and a create (kubelet reads the Lease before it creates one).
  bool exists = false;
  for (;;) {
    if (heartbeats_stopped_) co_return;
    json::object spec{{"holderIdentity", options_.node_name},
                      {"leaseDurationSeconds", options_.lease_duration.count()},
                      {"renewTime", NowMicro()}};
    absl::StatusOr<client::Response> resp = absl::UnavailableError("not sent");
    // At most a patch, a create and a patch again (the Lease deleted and made anew meanwhile).
    for (int sent = 0; sent < 3; ++sent) {
      const bool create = !exists;
      Request req;
      if (create) {
        json::object lease{{"apiVersion", "coordination.k8s.io/v1"},
                           {"kind", "Lease"},
                           {"metadata", json::object{{"name", options_.node_name},
                                                     {"namespace", "kube-node-lease"}}},
                           {"spec", spec}};
        req = MakeRequest("POST", collection, json::serialize(lease));
      } else {
        req = MakeRequest("PATCH", path, json::serialize(json::object{{"spec", spec}}),
                          "application/merge-patch+json");
      }
      resp = co_await transport_.Call(std::move(req));
      if (!resp.ok()) break;
      if (create ? resp->code == 409 : resp->code == 404) {
        exists = create;  // found (create) or missing (patch): do the other
        continue;
      }
      if (create) exists = resp->code == 201;
      break;
    }
    if (!resp.ok() || resp->code >= 300) {
      spdlog::warn("agent: renewing lease of {} failed: {}", options_.node_name,
                   resp.ok() ? resp->Text() : resp.status().ToString());
    }
    const double j = options_.lease_jitter;
    // With jitter, the first wait is a random part of the interval: the renewals of nodes
    // started together spread out instead of arriving in lockstep.
    const double factor = JitterFactor(j, first, unit(rng));
    first = false;
    asio::steady_timer t(executor_, renew_after(factor));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Agent::StatusLoop() {
  // The same jitter as the Lease's: nodes registered together would otherwise write their
  // (much heavier) status in the same second of every interval.
  std::minstd_rand rng(
      static_cast<uint32_t>(std::hash<std::string>{}(options_.node_name + "/status")));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double interval_ms = 1000.0 * static_cast<double>(options_.status_interval.count());
  for (bool first = true;; first = false) {
    const double factor = JitterFactor(options_.lease_jitter, first, unit(rng));
    asio::steady_timer t(executor_,
                         std::chrono::milliseconds(static_cast<int64_t>(interval_ms * factor)));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (heartbeats_stopped_) co_return;
    co_await PatchNodeStatus();
  }
}

asio::awaitable<void> Agent::PatchNodeStatus() {
  const std::string path = base::StrCat("/api/v1/nodes/", options_.node_name, "/status");
  json::object patch{{"status", NodeStatus()}};
  Request req = MakeRequest("PATCH", path, json::serialize(patch), "application/merge-patch+json");
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok() || resp->code != 200) {
    spdlog::warn("agent: node status of {} not written: {}", options_.node_name,
                 resp.ok() ? resp->Text() : resp.status().ToString());
  }
}

absl::StatusOr<LogSource> Agent::LocateLog(const std::string& ns, const std::string& pod,
                                           const std::string& container, bool previous) {
  for (const auto& [uid, w] : workers_) {
    if (w->ns() == ns && w->name() == pod) return w->Log(container, previous);
  }
  return absl::NotFoundError(base::StrCat("pod ", ns, "/", pod, " is not on node ",
                                          options_.node_name));
}

void Agent::OnPod(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    pods_synced_ = true;
    MaybePodsListed();
    // Pods that left while the agent was down: their directories go.
    for (const auto& [uid, _] : killed_) {
      if (workers_.count(uid) == 0) {
        std::error_code ec;
        fs::remove_all(base::StrCat(options_.data_dir, "/pods/", uid), ec);
      }
    }
    killed_.clear();
    return;
  }
  std::string uid(api::StringAt(e.object(), "metadata.uid"));
  auto it = workers_.find(uid);
  if (uid.empty()) {  // a deletion found by a re-list names the pod only
    it = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) {
      return w.second->ns() == api::StringAt(e.object(), "metadata.namespace") &&
             w.second->name() == api::StringAt(e.object(), "metadata.name");
    });
  }
  if (e.type == InformerEvent::Type::kDeleted) {
    if (it != workers_.end()) {
      it->second->Deleted();
      workers_.erase(it);
    }
    return;
  }
  if (it != workers_.end()) {
    it->second->Update(e.TakeObject());
    return;
  }
  std::set<std::string> killed;
  if (auto k = killed_.find(uid); k != killed_.end()) killed = k->second;
  auto worker = std::make_shared<PodWorker>(ctx_, e.TakeObject(), std::move(killed));
  workers_.emplace(uid, worker);
  worker->Start();
}

}  // namespace shoal::agent
