// The queues scenario's figures: splitting quota by weight, the teams' shares, the allocation
// summary, and the readable summary of a report (RunQueues, queues.cc, measures them).
#include <algorithm>
#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "bench/hollow_cluster.h"
#include "bench/queues.h"

namespace shoal::bench {

namespace json = boost::json;

std::vector<int64_t> SplitByWeight(int64_t total, const std::vector<int64_t>& weights) {
  int64_t sum = 0;
  for (int64_t w : weights) sum += w;
  std::vector<int64_t> out;
  int64_t given = 0;
  for (int64_t w : weights) {
    out.push_back(sum > 0 ? total * w / sum : 0);
    given += out.back();
  }
  for (size_t i = 0; given < total && !out.empty(); i = (i + 1) % out.size(), ++given) ++out[i];
  return out;
}

std::vector<TeamShare> SharesOf(const std::vector<double>& used,
                                const std::vector<int64_t>& entitled) {
  double used_total = 0, entitled_total = 0;
  for (double u : used) used_total += u;
  for (int64_t e : entitled) entitled_total += static_cast<double>(e);
  std::vector<TeamShare> out(std::min(used.size(), entitled.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].entitled = entitled_total > 0 ? static_cast<double>(entitled[i]) / entitled_total : 0;
    out[i].used_share = used_total > 0 ? used[i] / used_total : 0;
    out[i].abs_diff_pp = 100 * std::abs(out[i].used_share - out[i].entitled);
  }
  return out;
}

AllocationSummary SummarizeAllocation(std::vector<double> samples, double goal) {
  AllocationSummary s;
  s.samples = static_cast<int64_t>(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  double sum = 0;
  int64_t above = 0;
  for (double v : samples) {
    sum += v;
    above += v >= goal ? 1 : 0;
  }
  s.mean = sum / static_cast<double>(samples.size());
  s.min = samples.front();
  size_t rank = static_cast<size_t>(std::ceil(0.05 * static_cast<double>(samples.size())));
  s.p5 = samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  s.above_goal = static_cast<double>(above) / static_cast<double>(samples.size());
  return s;
}

std::string QueuesSummary(const json::object& report) {
  auto num = [](const json::value& v) { return v.to_number<double>(); };
  std::string out =
      fmt::format("{} hollow nodes, {} GPUs, {} teams, {} s of load at up to {}/s per team\n",
                  num(report.at("nodes")), num(report.at("gpus")), num(report.at("teams_count")),
                  num(report.at("duration_s")), num(report.at("rate_per_team")));
  out += fmt::format("{:<8} {:>9} {:>9} {:>8} {:>9} {:>16} {:>9} {:>8}\n", "team", "entitled",
                     "GPU-time", "diff", "reserved", "admitted s/g/l", "preempted", "pending");
  for (const json::value& v : report.at("teams").as_array()) {
    const json::object& t = v.as_object();
    const json::object& a = t.at("admitted").as_object();
    out += fmt::format(
        "{:<8} {:>8.1f}% {:>8.1f}% {:>6.1f}pp {:>8.1f}% {:>16} {:>9} {:>8}\n",
        std::string(t.at("name").as_string()), 100 * num(t.at("entitled")),
        100 * num(t.at("used_share")), num(t.at("abs_diff_pp")), 100 * num(t.at("reserved_share")),
        fmt::format("{}/{}/{}", num(a.at("small")), num(a.at("gang")), num(a.at("large"))),
        num(t.at("preempted")), num(t.at("pending_at_end")));
  }
  const json::object& al = report.at("allocation").as_object();
  const json::object& q = report.at("quota_reserved").as_object();
  const json::object& goals = report.at("goals").as_object();
  const json::object& ai = report.at("allocation_at_sample_instants").as_object();
  out += fmt::format(
      "GPU allocation (bound pods, each second's GPU-seconds), {} of {} seconds with enough "
      "pending work after {:.0f} s: mean {:.1f}%, p5 {:.1f}%, min {:.1f}%, {:.1f}% of seconds "
      ">= 95% -> goal (>95% whenever there is enough pending work): {}\n",
      num(al.at("samples_with_pending")), num(al.at("samples")), num(report.at("warmup_s")),
      100 * num(al.at("mean")), 100 * num(al.at("p5")), 100 * num(al.at("min")),
      100 * num(al.at("fraction_at_or_above_95")),
      goals.at("allocation_above_95_whenever_pending").as_bool() ? "MET" : "MISS");
  out += fmt::format(
      "GPU allocation at the sample instants, same seconds: mean {:.1f}%, p5 {:.1f}%, min "
      "{:.1f}%, {:.1f}% >= 95%\n",
      100 * num(ai.at("mean")), 100 * num(ai.at("p5")), 100 * num(ai.at("min")),
      100 * num(ai.at("fraction_at_or_above_95")));
  out += fmt::format(
      "quota reserved by admitted Workloads, same samples: mean {:.1f}%, p5 "
      "{:.1f}%, min {:.1f}%; allocation first reached 95% at {:.0f} s\n",
      100 * num(q.at("mean")), 100 * num(q.at("p5")), 100 * num(q.at("min")),
      num(report.at("fill_time_s")));
  out += fmt::format(
      "largest deviation from the entitled share of GPU-time: {:.1f} pp -> goal "
      "(each team within 5 pp): {}\n",
      num(goals.at("max_share_diff_pp")),
      goals.at("each_team_within_5pp").as_bool() ? "MET" : "MISS");
  for (const auto& [cls, v] : report.at("admission_latency_ms").as_object()) {
    out += fmt::format(
        "admission latency {:<5} (Workload seen -> QuotaReserved seen) n={:<5} "
        "p50 {:.0f} ms  p99 {:.0f} ms  max {:.0f} ms\n",
        std::string(cls), num(v.at("count")), num(v.at("p50_ms")), num(v.at("p99_ms")),
        num(v.at("max_ms")));
  }
  const double gpu_time = num(report.at("gpus")) * num(report.at("duration_s"));
  const json::object& unplaced = report.at("gpu_seconds_admitted_before_bound").as_object();
  for (const auto& [cls, v] : report.at("admitted_to_all_pods_bound_ms").as_object()) {
    out += fmt::format(
        "admitted -> all pods bound {:<5} n={:<5} p50 {:.0f} ms  p99 {:.0f} ms  "
        "max {:.0f} ms  ({:.1f}% of the GPU-time)\n",
        std::string(cls), num(v.at("count")), num(v.at("p50_ms")), num(v.at("p99_ms")),
        num(v.at("max_ms")), gpu_time > 0 ? 100 * num(unplaced.at(cls)) / gpu_time : 0.0);
  }
  for (const auto& [cls, v] : report.at("pods_finished_to_quota_released_ms").as_object()) {
    out += fmt::format(
        "pods all finished -> Workload Finished {:<5} n={:<5} p50 {:.0f} ms  p99 {:.0f} ms  "
        "max {:.0f} ms\n",
        std::string(cls), num(v.at("count")), num(v.at("p50_ms")), num(v.at("p99_ms")),
        num(v.at("max_ms")));
  }
  const json::object& f = report.at("quota_freed_to_next_admission_ms").as_object();
  out += fmt::format(
      "a Job's pods all finished (a queued Job fits in its GPUs) -> next admission: n={} p50 "
      "{:.0f} ms  p99 "
      "{:.0f} ms  max {:.0f} ms\n",
      num(f.at("count")), num(f.at("p50_ms")), num(f.at("p99_ms")), num(f.at("max_ms")));
  out += fmt::format("jobs created {}, create errors {}, watch restarts {}\n",
                     num(report.at("jobs_created")), num(report.at("create_errors")),
                     num(report.at("watch_restarts")));
  if (const json::value* s = report.if_contains("server"); s != nullptr && s->is_object()) {
    out += fmt::format("server over the run: {:.2f} cores, {:.0f} MiB RSS\n",
                       num(s->at("cpu_cores")), num(s->at("rss_bytes")) / (1 << 20));
  }
  out += HollowNodeApiLatencySummary(report);
  return out;
}

}  // namespace shoal::bench
