#include "agent/pod_worker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"

namespace shoal::agent {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using client::MakeRequest;
using client::Request;

namespace {

constexpr auto kRetry = std::chrono::seconds(2);
constexpr auto kBackoffReset = std::chrono::minutes(10);  // kubelet forgets back-off after this
constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

using base::NowRfc3339;

std::string EnvName(std::string s) {
  for (char& c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? std::toupper(c) : '_';
  return s;
}

}  // namespace

PodWorker::PodWorker(AgentContext& ctx, json::object pod, std::set<std::string> killed)
    : ctx_(ctx), pod_(std::move(pod)), killed_(std::move(killed)) {
  auto spec = PodSpecFromJson(pod_);
  if (spec.ok()) {
    spec_ = *std::move(spec);
  } else {
    spec_error_ = std::string(spec.status().message());
    spec_.ns = std::string(api::StringAt(pod_, "metadata.namespace"));
    spec_.name = std::string(api::StringAt(pod_, "metadata.name"));
    spec_.uid = std::string(api::StringAt(pod_, "metadata.uid"));
  }
  for (const ContainerSpec& cs : spec_.init_containers) {
    containers_.push_back(std::make_unique<Container>(Container{.spec = cs, .init = true}));
  }
  for (const ContainerSpec& cs : spec_.containers) {
    containers_.push_back(std::make_unique<Container>(Container{.spec = cs}));
  }
  std::string started(api::StringAt(pod_, "status.startTime"));
  start_time_ = started.empty() ? NowRfc3339() : started;
  RecoverFromStatus();
}

PodWorker::~PodWorker() = default;

std::string PodWorker::PodDir() const {
  return base::StrCat(ctx_.data_dir, "/pods/", spec_.uid);
}

void PodWorker::Start() {
  asio::co_spawn(ctx_.executor, Setup(), asio::detached);
}

// After an agent restart the pod's own status is the record of what already ran: finished
// containers stay finished, and containers whose processes the agent killed at start are
// reported as ended (exit 137) and run again only if restartPolicy says so.
void PodWorker::RecoverFromStatus() {
  const std::string phase(api::StringAt(pod_, "status.phase"));
  const bool terminal = phase == "Succeeded" || phase == "Failed";
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const json::value* statuses = api::FindPath(pod_, base::StrCat("status.", list));
    if (statuses == nullptr || !statuses->is_array()) continue;
    const bool init = std::string_view(list) == "initContainerStatuses";
    for (const json::value& sv : statuses->get_array()) {
      if (!sv.is_object()) continue;
      const json::object& s = sv.get_object();
      std::string name(api::StringAt(s, "name"));
      auto it = std::find_if(containers_.begin(), containers_.end(), [&](const auto& c) {
        return c->init == init && c->spec.name == name;
      });
      if (it == containers_.end()) continue;
      Container& c = **it;
      if (const json::value* rc = s.if_contains("restartCount"); rc && rc->is_int64()) {
        c.restarts = static_cast<int>(rc->get_int64());
      }
      if (const json::value* ls = s.if_contains("lastState"); ls && ls->is_object()) {
        c.last_state = ls->get_object();
      }
      const json::value* term = api::FindPath(s, "state.terminated");
      const bool was_running = api::FindPath(s, "state.running") != nullptr;
      if (term != nullptr && term->is_object()) {
        const json::object& t = term->get_object();
        c.state = State::kTerminated;
        c.ever_started = true;
        c.reason = std::string(api::StringAt(t, "reason"));
        c.message = std::string(api::StringAt(t, "message"));
        c.started_at = std::string(api::StringAt(t, "startedAt"));
        c.finished_at = std::string(api::StringAt(t, "finishedAt"));
        if (const json::value* code = t.if_contains("exitCode"); code && code->is_int64()) {
          c.exit_code = static_cast<int>(code->get_int64());
        }
        c.done = terminal || (init ? c.exit_code == 0 : !WillRestart(c));
        if (init && c.exit_code != 0 && spec_.restart_policy == "Never") init_failed_ = true;
      } else if (was_running || killed_.count(name) > 0) {
        c.ever_started = true;
        c.state = State::kTerminated;
        c.exit_code = 137;
        c.signal = SIGKILL;
        c.reason = "Error";
        c.message = "stopped when the shoal agent restarted (it does not adopt processes)";
        c.started_at = std::string(api::StringAt(s, "state.running.startedAt"));
        c.finished_at = NowRfc3339();
        c.done = terminal || !WillRestart(c);
        if (!c.done) {
          c.last_state = json::object{{"terminated", json::object{{"exitCode", 137},
                                                                  {"reason", c.reason},
                                                                  {"message", c.message},
                                                                  {"startedAt", c.started_at},
                                                                  {"finishedAt", c.finished_at}}}};
          c.state = State::kWaiting;
          c.reason = "ContainerCreating";
        } else if (init) {
          init_failed_ = true;
        }
      }
    }
  }
  if (terminal) {
    for (auto& c : containers_) c->done = true;
  }
}

asio::awaitable<void> PodWorker::Setup() {
  auto self = shared_from_this();
  if (!api::StringAt(pod_, "metadata.deletionTimestamp").empty()) Terminate();
  while (!gone_ && !terminating_ && spec_error_.empty()) {
    absl::Status s = co_await PrepareVolumes();
    for (auto& c : containers_) {
      if (!s.ok()) break;
      s = co_await ResolveEnv(*c);
    }
    if (gone_ || terminating_) co_return;
    if (s.ok()) {
      if (ctx_.start_delay.count() > 0) {
        asio::steady_timer t(ctx_.executor, ctx_.start_delay);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        if (gone_ || terminating_) co_return;
      }
      ready_to_run_ = true;
      break;
    }
    // kubelet reports these as CreateContainerConfigError and retries.
    for (auto& c : containers_) {
      if (c->state == State::kWaiting) {
        c->reason = "CreateContainerConfigError";
        c->message = std::string(s.message());
      }
    }
    WriteStatus();
    asio::steady_timer t(ctx_.executor, kRetry);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!spec_error_.empty()) {
    for (auto& c : containers_) {
      c->reason = "CreateContainerConfigError";
      c->message = spec_error_;
    }
  }
  Advance();
}

asio::awaitable<std::optional<std::map<std::string, std::string>>> PodWorker::FetchData(
    bool secret, std::string name) {
  auto self = shared_from_this();
  const std::string key = base::StrCat(secret ? "secret/" : "configmap/", name);
  if (auto it = fetched_.find(key); it != fetched_.end()) co_return it->second;
  Request req = MakeRequest("GET", base::StrCat("/api/v1/namespaces/", spec_.ns,
                                                secret ? "/secrets/" : "/configmaps/", name));
  auto resp = co_await ctx_.transport->Call(std::move(req));
  std::optional<std::map<std::string, std::string>> out;
  if (resp.ok() && resp->code == 200) {
    auto doc = api::ParseJson(resp->Text());
    if (doc.ok() && doc->is_object()) {
      out.emplace();
      const json::value* data = doc->get_object().if_contains("data");
      if (data != nullptr && data->is_object()) {
        for (const auto& kv : data->get_object()) {
          if (!kv.value().is_string()) continue;
          std::string value(kv.value().get_string());
          if (secret) {
            std::string decoded;
            if (absl::Base64Unescape(value, &decoded)) value = std::move(decoded);
          }
          (*out)[std::string(kv.key())] = std::move(value);
        }
      }
    }
  } else if (!resp.ok() || resp->code != 404) {
    co_return std::nullopt;  // not memoised: a transient failure is retried
  }
  fetched_[key] = out;
  co_return out;
}

asio::awaitable<absl::Status> PodWorker::PrepareVolumes() {
  auto self = shared_from_this();
  std::error_code ec;
  for (const VolumeSpec& v : spec_.volumes) {
    const std::string dir = base::StrCat(PodDir(), "/volumes/", v.name);
    fs::create_directories(dir, ec);
    if (ec) co_return absl::InternalError(base::StrCat("volume ", v.name, ": ", ec.message()));
    if (v.kind != VolumeSpec::Kind::kConfigMap && v.kind != VolumeSpec::Kind::kSecret) continue;
    const bool secret = v.kind == VolumeSpec::Kind::kSecret;
    auto data = co_await FetchData(secret, v.source);
    if (!data) {
      if (v.optional) continue;
      co_return absl::NotFoundError(base::StrCat(secret ? "secret \"" : "configmap \"", v.source,
                                                 "\" not found"));
    }
    std::vector<std::pair<std::string, std::string>> files = v.items;
    if (files.empty()) {
      for (const auto& [k, _] : *data) files.emplace_back(k, k);
    }
    for (const auto& [k, path] : files) {
      auto it = data->find(k);
      if (it == data->end()) {
        if (v.optional) continue;
        co_return absl::NotFoundError(
            base::StrCat("key \"", k, "\" not found in ", secret ? "secret" : "configmap", " \"",
                         v.source, "\""));
      }
      fs::path file = fs::path(dir) / path;
      fs::create_directories(file.parent_path(), ec);
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << it->second;
      if (!out) co_return absl::InternalError(base::StrCat("writing ", file.string()));
    }
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> PodWorker::ResolveEnv(Container& c) {
  auto self = shared_from_this();
  std::map<std::string, std::string> vars;
  std::vector<std::string> order;
  auto set = [&](const std::string& name, std::string value) {
    if (vars.count(name) == 0) order.push_back(name);
    vars[name] = std::move(value);
  };
  set("PATH", kDefaultPath);
  set("HOSTNAME", spec_.name);
  for (const EnvVarSpec& e : c.spec.env) {
    switch (e.source) {
      case EnvVarSpec::Source::kValue:
        set(e.name, ExpandVars(e.value, vars));
        break;
      case EnvVarSpec::Source::kField: {
        auto v = FieldValue(pod_, e.ref, ctx_.node_ip);
        if (!v) {
          co_return absl::InvalidArgumentError(base::StrCat(
              "env ", e.name, ": fieldRef ", e.ref, " is not supported by shoal agent"));
        }
        set(e.name, *v);
        break;
      }
      case EnvVarSpec::Source::kConfigMap:
      case EnvVarSpec::Source::kSecret: {
        const bool secret = e.source == EnvVarSpec::Source::kSecret;
        auto data = co_await FetchData(secret, e.ref);
        const char* what = secret ? "secret" : "configmap";
        if (!data) {
          if (e.optional) break;
          co_return absl::NotFoundError(base::StrCat(what, " \"", e.ref, "\" not found"));
        }
        auto it = data->find(e.key);
        if (it == data->end()) {
          if (e.optional) break;
          co_return absl::NotFoundError(
              base::StrCat("couldn't find key ", e.key, " in ", what, " ", spec_.ns, "/", e.ref));
        }
        set(e.name, it->second);
        break;
      }
    }
  }
  if (geteuid() != 0) {
    // No private mounts without root: the volume directories are named in the environment.
    for (const MountSpec& m : c.spec.mounts) {
      set(base::StrCat("SHOAL_VOLUME_", EnvName(m.volume)),
          base::StrCat(PodDir(), "/volumes/", m.volume));
    }
  }
  c.env.clear();
  for (const std::string& name : order) c.env.push_back(base::StrCat(name, "=", vars[name]));
  co_return absl::OkStatus();
}

void PodWorker::Advance() {
  if (gone_ || finalized_) return;
  if (terminating_) {
    bool running = false;
    for (const auto& c : containers_) running = running || c->process.has_value();
    if (!running) {
      Finalize();
    } else {
      WriteStatus();
    }
    return;
  }
  if (ready_to_run_ && spec_error_.empty() && !init_failed_) {
    bool init_done = true;
    for (auto& c : containers_) {
      if (!c->init || c->done) continue;
      init_done = false;
      if (c->state != State::kRunning && !c->in_backoff) StartContainer(*c);
      break;
    }
    if (init_done) {
      for (auto& c : containers_) {
        if (c->init || c->done || c->state == State::kRunning || c->in_backoff) continue;
        StartContainer(*c);
      }
    }
  }
  WriteStatus();
}

void PodWorker::StartContainer(Container& c) {
  if (c.spec.command.empty()) {
    c.reason = "CreateContainerConfigError";
    c.message = base::StrCat("container \"", c.spec.name,
                             "\" has no command: shoal agent runs processes, not images; set "
                             "command (and args)");
    return;
  }
  const std::string owner = base::StrCat(spec_.uid, "/", c.spec.name);
  std::vector<std::string> env = c.env;
  if (ctx_.gpus->total() > 0 || c.spec.gpus > 0) {
    auto gpus = ctx_.gpus->Allocate(owner, static_cast<int>(c.spec.gpus));
    if (!gpus) {
      c.reason = "ContainerCreating";
      c.message = base::StrCat("waiting for ", c.spec.gpus, " free nvidia.com/gpu (",
                               ctx_.gpus->free(), " free)");
      c.in_backoff = true;
      c.timer = std::make_unique<asio::steady_timer>(ctx_.executor, kRetry);
      c.timer->async_wait([self = shared_from_this(), cp = &c](boost::system::error_code ec) {
        if (ec) return;
        cp->in_backoff = false;
        self->Advance();
      });
      return;
    }
    c.gpus = *gpus;
    std::vector<std::string> ids;
    for (int i : c.gpus) ids.push_back(std::to_string(i));
    env.push_back("CUDA_VISIBLE_DEVICES=" + base::StrJoin(ids, ","));
    env.push_back("NVIDIA_VISIBLE_DEVICES=" + (ids.empty() ? std::string("void") : base::StrJoin(ids, ",")));
  }
  std::map<std::string, std::string> vars;
  for (const std::string& kv : env) {
    size_t eq = kv.find('=');
    vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  ProcessSpec ps;
  if (const json::value* a = api::FindPath(pod_, "metadata.annotations"); a && a->is_object()) {
    for (const auto& [k, v] : a->get_object()) {
      if (v.is_string()) ps.annotations[std::string(k)] = std::string(v.get_string());
    }
  }
  for (const std::string& a : c.spec.command) ps.argv.push_back(ExpandVars(a, vars));
  for (const std::string& a : c.spec.args) ps.argv.push_back(ExpandVars(a, vars));
  ps.env = std::move(env);
  ps.working_dir = c.spec.working_dir;
  const int run = c.ever_started ? c.restarts + 1 : c.restarts;
  const std::string log_dir = base::StrCat(PodDir(), "/logs/", c.spec.name);
  if (ctx_.runtime->NeedsPodFiles()) {
    std::error_code ec;
    fs::create_directories(log_dir, ec);
    fs::create_directories(PodDir() + "/procs", ec);
  }
  ps.log_path = base::StrCat(log_dir, "/", run, ".log");
  for (const MountSpec& m : c.spec.mounts) {
    auto v = std::find_if(spec_.volumes.begin(), spec_.volumes.end(),
                          [&](const VolumeSpec& v) { return v.name == m.volume; });
    if (v == spec_.volumes.end() || v->kind == VolumeSpec::Kind::kUnsupported) continue;
    ps.mounts.push_back({.source = base::StrCat(PodDir(), "/volumes/", m.volume),
                         .target = m.path,
                         .read_only = m.read_only});
  }
  if (ctx_.cgroups != nullptr) {
    auto cg = ctx_.cgroups->Create(base::StrCat(spec_.uid, "_", c.spec.name),
                                   c.spec.cpu_limit_milli, c.spec.memory_limit_bytes);
    if (cg.ok()) {
      ps.cgroup = *cg;
      c.cgroup = *cg;
    } else {
      spdlog::warn("agent: {} of {}/{} runs without limits: {}", c.spec.name, spec_.ns,
                   spec_.name, cg.status().ToString());
    }
  }
  if (c.ever_started) ++c.restarts;
  c.ever_started = true;
  c.started_at = NowRfc3339();
  c.started = std::chrono::steady_clock::now();
  auto started = ctx_.runtime->Start(
      ps, [self = shared_from_this(), cp = &c](ExitInfo info) { self->OnExit(cp, info); });
  if (!started.ok()) {
    // Like a runtime that cannot create the container's task: StartError, exit code 128.
    ctx_.gpus->Release(owner);
    c.gpus.clear();
    c.state = State::kTerminated;
    c.exit_code = 128;
    c.signal = 0;
    c.reason = "StartError";
    c.message = std::string(started.status().message());
    c.finished_at = NowRfc3339();
    if (c.init ? spec_.restart_policy != "Never" : WillRestart(c)) {
      Restart(c);
    } else {
      c.done = true;
      if (c.init) init_failed_ = true;
    }
    return;
  }
  c.process = *started;
  c.state = State::kRunning;
  c.reason.clear();
  c.message.clear();
  if (ctx_.runtime->NeedsPodFiles()) {
    std::ofstream(base::StrCat(PodDir(), "/procs/", c.spec.name))
        << started->pid << " " << started->start_ticks << "\n";
  }
}

bool PodWorker::WillRestart(const Container& c) const {
  if (c.init) return c.exit_code != 0 && spec_.restart_policy != "Never";
  if (spec_.restart_policy == "Always") return true;
  if (spec_.restart_policy == "OnFailure") return c.exit_code != 0;
  return false;
}

void PodWorker::OnExit(Container* cp, ExitInfo info) {
  Container& c = *cp;
  if (ctx_.runtime->NeedsPodFiles()) {
    std::error_code ec;
    fs::remove(base::StrCat(PodDir(), "/procs/", c.spec.name), ec);
  }
  ctx_.gpus->Release(base::StrCat(spec_.uid, "/", c.spec.name));
  c.gpus.clear();
  c.process.reset();
  if (!c.cgroup.empty()) {
    Cgroups::Remove(c.cgroup);
    c.cgroup.clear();
  }
  spdlog::info("agent: container {} of pod {}/{} exited with code {}", c.spec.name, spec_.ns,
               spec_.name, info.exit_code);
  if (gone_) return;
  c.state = State::kTerminated;
  c.exit_code = info.exit_code;
  c.signal = info.signal;
  c.reason = info.oom_killed ? "OOMKilled" : info.exit_code == 0 ? "Completed" : "Error";
  c.message.clear();
  c.finished_at = NowRfc3339();
  if (terminating_ || !WillRestart(c)) {
    c.done = true;
    if (c.init && c.exit_code != 0 && !terminating_) init_failed_ = true;
  } else {
    Restart(c);
  }
  Advance();
}

void PodWorker::Restart(Container& c) {
  json::object term{{"exitCode", c.exit_code},    {"reason", c.reason},
                    {"startedAt", c.started_at},  {"finishedAt", c.finished_at},
                    {"containerID", base::StrCat("shoal://", spec_.uid, "/", c.spec.name, "/",
                                                 c.restarts)}};
  if (c.signal != 0) term["signal"] = c.signal;
  if (!c.message.empty()) term["message"] = c.message;
  c.last_state = json::object{{"terminated", std::move(term)}};
  // kubelet: the first restart is immediate, then 10 s doubling to 5 min; a container that
  // ran for 10 minutes starts over.
  if (std::chrono::steady_clock::now() - c.started >= kBackoffReset) c.backoff = std::chrono::milliseconds(0);
  const std::chrono::milliseconds delay = c.backoff;
  c.backoff = delay.count() == 0 ? ctx_.initial_backoff
                                 : std::min(ctx_.max_backoff, delay * 2);
  c.state = State::kWaiting;
  if (delay.count() == 0) {
    c.reason = "ContainerCreating";
    c.message.clear();
    asio::post(ctx_.executor, [self = shared_from_this()] { self->Advance(); });
    return;
  }
  c.reason = "CrashLoopBackOff";
  c.message = base::StrCat("back-off ", delay.count() / 1000, "s restarting failed container=",
                           c.spec.name, " pod=", spec_.name, "_", spec_.ns, "(", spec_.uid, ")");
  c.in_backoff = true;
  c.timer = std::make_unique<asio::steady_timer>(ctx_.executor, delay);
  c.timer->async_wait([self = shared_from_this(), cp = &c](boost::system::error_code ec) {
    if (ec) return;
    cp->in_backoff = false;
    self->Advance();
  });
}

void PodWorker::Update(json::object pod) {
  if (gone_) return;
  pod_ = std::move(pod);
  if (!terminating_ && !api::StringAt(pod_, "metadata.deletionTimestamp").empty()) {
    Terminate();
    Advance();
  }
}

void PodWorker::Terminate() {
  terminating_ = true;
  int64_t grace = spec_.grace_seconds;
  if (const json::value* g = api::FindPath(pod_, "metadata.deletionGracePeriodSeconds");
      g != nullptr && g->is_int64()) {
    grace = g->get_int64();
  }
  for (auto& c : containers_) {
    if (c->timer) c->timer->cancel();
    c->in_backoff = false;
    if (!c->process) c->done = true;
  }
  spdlog::info("agent: stopping pod {}/{} (grace {}s)", spec_.ns, spec_.name, grace);
  KillAll(grace > 0 ? SIGTERM : SIGKILL);
  if (grace > 0) {
    grace_timer_ = std::make_unique<asio::steady_timer>(ctx_.executor, std::chrono::seconds(grace));
    grace_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->KillAll(SIGKILL);
    });
  }
}

void PodWorker::KillAll(int sig) {
  for (auto& c : containers_) {
    if (c->process) ctx_.runtime->Signal(*c->process, sig);
  }
}

void PodWorker::Deleted() {
  if (gone_) return;
  gone_ = true;
  spdlog::info("agent: pod {}/{} was deleted: killing what runs", spec_.ns, spec_.name);
  KillAll(SIGKILL);
  for (auto& c : containers_) {
    if (c->timer) c->timer->cancel();
    ctx_.gpus->Release(base::StrCat(spec_.uid, "/", c->spec.name));
  }
  if (grace_timer_) grace_timer_->cancel();
  if (ctx_.runtime->NeedsPodFiles() || !spec_.volumes.empty()) {  // else nothing was written
    std::error_code ec;
    fs::remove_all(PodDir(), ec);
  }
}

void PodWorker::Finalize() {
  finalized_ = true;
  if (grace_timer_) grace_timer_->cancel();
  asio::co_spawn(ctx_.executor, DeleteObject(), asio::detached);
}

asio::awaitable<void> PodWorker::DeleteObject() {
  auto self = shared_from_this();
  // The final status first (kubelet's terminal phase), then the object goes (grace 0, only if
  // it is still this pod).
  json::object patch{{"status", BuildStatus()}};
  Request st = MakeRequest("PATCH", base::StrCat("/api/v1/namespaces/", spec_.ns, "/pods/",
                                                 spec_.name, "/status"),
                           json::serialize(patch), "application/merge-patch+json");
  co_await ctx_.transport->Call(std::move(st));
  json::object opts{{"kind", "DeleteOptions"},
                    {"apiVersion", "v1"},
                    {"gracePeriodSeconds", 0},
                    {"preconditions", json::object{{"uid", spec_.uid}}}};
  Request del = MakeRequest("DELETE",
                            base::StrCat("/api/v1/namespaces/", spec_.ns, "/pods/", spec_.name),
                            json::serialize(opts));
  auto resp = co_await ctx_.transport->Call(std::move(del));
  if (!resp.ok() || (resp->code != 200 && resp->code != 404 && resp->code != 409)) {
    spdlog::warn("agent: deleting pod {}/{} failed: {}", spec_.ns, spec_.name,
                 resp.ok() ? resp->Text() : resp.status().ToString());
  }
}

absl::StatusOr<LogSource> PodWorker::Log(const std::string& container, bool previous) {
  auto it = std::find_if(containers_.begin(), containers_.end(),
                         [&](const auto& c) { return c->spec.name == container; });
  if (it == containers_.end()) {
    return absl::NotFoundError(
        base::StrCat("container \"", container, "\" not found in pod ", spec_.name));
  }
  Container& c = **it;
  if (!c.ever_started) {
    return absl::FailedPreconditionError(base::StrCat("container \"", container, "\" in pod \"",
                                                      spec_.name, "\" is waiting to start: ",
                                                      c.reason));
  }
  int run = c.restarts;  // the index of the latest run that started
  if (previous) {
    if (run == 0) {
      return absl::FailedPreconditionError(base::StrCat(
          "previous terminated container \"", container, "\" in pod \"", spec_.name,
          "\" not found"));
    }
    --run;
  }
  LogSource src;
  src.path = base::StrCat(PodDir(), "/logs/", container, "/", run, ".log");
  src.running = [self = weak_from_this(), cp = &c, run] {
    auto w = self.lock();
    return w && !w->gone_ && cp->process.has_value() && cp->restarts == run;
  };
  return src;
}

std::string PodWorker::Phase() const {
  if (init_failed_) return "Failed";
  if (!ready_to_run_ && !terminating_) {
    // A pod recovered as finished keeps its phase.
    std::string phase(api::StringAt(pod_, "status.phase"));
    if (phase == "Succeeded" || phase == "Failed") return phase;
    return "Pending";
  }
  bool all_done = true, any_failed = false, any_started = false, inits_done = true;
  for (const auto& c : containers_) {
    if (c->init) {
      inits_done = inits_done && c->done;
      continue;
    }
    all_done = all_done && c->done;
    any_failed = any_failed || (c->done && c->exit_code != 0);
    any_started = any_started || c->ever_started;
  }
  if (!containers_.empty() && all_done && (inits_done || terminating_)) {
    return any_failed || !inits_done ? "Failed" : "Succeeded";
  }
  if (!inits_done || !any_started) return "Pending";
  return "Running";
}

json::object PodWorker::ContainerStatus(const Container& c) const {
  json::object state;
  switch (c.state) {
    case State::kWaiting: {
      json::object w{{"reason", c.reason}};
      if (!c.message.empty()) w["message"] = c.message;
      state["waiting"] = std::move(w);
      break;
    }
    case State::kRunning:
      state["running"] = json::object{{"startedAt", c.started_at}};
      break;
    case State::kTerminated: {
      json::object t{{"exitCode", c.exit_code}, {"reason", c.reason},
                     {"startedAt", c.started_at}, {"finishedAt", c.finished_at}};
      if (c.signal != 0) t["signal"] = c.signal;
      if (!c.message.empty()) t["message"] = c.message;
      if (c.ever_started) {
        t["containerID"] = base::StrCat("shoal://", spec_.uid, "/", c.spec.name, "/", c.restarts);
      }
      state["terminated"] = std::move(t);
      break;
    }
  }
  json::object s{{"name", c.spec.name},
                 {"image", c.spec.image},
                 {"imageID", ""},
                 {"state", std::move(state)},
                 {"lastState", c.last_state},
                 {"ready", c.state == State::kRunning && !terminating_},
                 {"restartCount", c.restarts},
                 {"started", c.state == State::kRunning}};
  if (c.ever_started) {
    s["containerID"] = base::StrCat("shoal://", spec_.uid, "/", c.spec.name, "/", c.restarts);
  }
  return s;
}

json::object PodWorker::BuildStatus() const {
  const std::string phase = Phase();
  json::array init_statuses, statuses;
  std::vector<std::string> not_initialized, not_ready;
  for (const auto& c : containers_) {
    if (c->init) {
      init_statuses.push_back(ContainerStatus(*c));
      if (!(c->done && c->exit_code == 0)) not_initialized.push_back(c->spec.name);
    } else {
      statuses.push_back(ContainerStatus(*c));
      if (c->state != State::kRunning || terminating_) not_ready.push_back(c->spec.name);
    }
  }
  const bool terminal = phase == "Succeeded" || phase == "Failed";
  json::array conditions;
  auto cond = [&](const char* type, bool ok, std::string reason, std::string message) {
    // Keep the transition time of an unchanged condition.
    std::string since = NowRfc3339();
    if (const json::value* old = api::FindPath(pod_, "status.conditions");
        old != nullptr && old->is_array()) {
      for (const json::value& oc : old->get_array()) {
        if (api::StringAt(oc, "type") == type &&
            api::StringAt(oc, "status") == (ok ? "True" : "False")) {
          std::string t(api::StringAt(oc, "lastTransitionTime"));
          if (!t.empty()) since = t;
        }
      }
    }
    json::object o{{"type", type}, {"status", ok ? "True" : "False"},
                   {"lastProbeTime", nullptr}, {"lastTransitionTime", since}};
    if (!ok && !reason.empty()) o["reason"] = reason;
    if (!ok && !message.empty()) o["message"] = message;
    conditions.push_back(std::move(o));
  };
  cond("PodReadyToStartContainers", ready_to_run_ && !terminal, "", "");
  cond("Initialized", not_initialized.empty(), "ContainersNotInitialized",
       base::StrCat("containers with incomplete status: [", base::StrJoin(not_initialized, " "), "]"));
  const std::string unready_reason = terminal ? "PodCompleted" : "ContainersNotReady";
  const std::string unready =
      terminal ? "" : base::StrCat("containers with unready status: [", base::StrJoin(not_ready, " "), "]");
  cond("Ready", not_ready.empty() && !terminal, unready_reason, unready);
  cond("ContainersReady", not_ready.empty() && !terminal, unready_reason, unready);
  if (const json::value* old = api::FindPath(pod_, "status.conditions");
      old != nullptr && old->is_array()) {
    for (const json::value& oc : old->get_array()) {
      if (api::StringAt(oc, "type") == "PodScheduled") conditions.push_back(oc);
    }
  }
  json::object status{{"phase", phase},
                      {"conditions", std::move(conditions)},
                      {"hostIP", ctx_.node_ip},
                      {"hostIPs", json::array{json::object{{"ip", ctx_.node_ip}}}},
                      {"podIP", ctx_.node_ip},
                      {"podIPs", json::array{json::object{{"ip", ctx_.node_ip}}}},
                      {"startTime", start_time_},
                      {"containerStatuses", std::move(statuses)}};
  if (const json::value* q = api::FindPath(pod_, "status.qosClass"); q && q->is_string()) {
    status["qosClass"] = *q;
  }
  if (!init_statuses.empty()) status["initContainerStatuses"] = std::move(init_statuses);
  return status;
}

void PodWorker::WriteStatus() {
  dirty_ = true;
  if (writing_ || gone_ || finalized_) return;
  writing_ = true;
  asio::co_spawn(ctx_.executor, StatusWriter(), asio::detached);
}

asio::awaitable<void> PodWorker::StatusWriter() {
  auto self = shared_from_this();
  while (dirty_ && !gone_ && !finalized_) {
    dirty_ = false;
    json::object patch{{"status", BuildStatus()}};
    Request req = MakeRequest("PATCH", base::StrCat("/api/v1/namespaces/", spec_.ns, "/pods/",
                                                    spec_.name, "/status"),
                              json::serialize(patch), "application/merge-patch+json");
    auto resp = co_await ctx_.transport->Call(std::move(req));
    if (resp.ok() && resp->code == 404) break;  // gone; the informer will say so
    if (!resp.ok() || resp->code >= 500) {
      dirty_ = true;
      asio::steady_timer t(ctx_.executor, kRetry);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  writing_ = false;
}

}  // namespace shoal::agent
