// Charts for `shoal bench` reports: every per-second series of a report (a JSON array of
// numbers under a key ending in "_per_second") drawn as one panel of a stacked SVG line chart
// sharing the time axis, so that throughput, latency, GPU allocation and the server's CPU and
// memory can be read against each other. Plain SVG 1.1 text, no dependencies.
//
// Stateless; any thread.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace shoal::bench {

struct ChartSeries {
  std::string name;            // panel title, e.g. "gpu_share_per_second"
  std::vector<double> values;  // one per second from the start of the run
};

// An SVG document with one panel per series (in order), each scaled to its own range, with
// its minimum, maximum and last value written beside it. `title` heads the chart.
std::string ChartSvg(const std::string& title, const std::vector<ChartSeries>& series);

// The "*_per_second" number arrays of `report`, in key order (arrays of non-numbers skipped).
std::vector<ChartSeries> PerSecondSeries(const boost::json::object& report);

}  // namespace shoal::bench
