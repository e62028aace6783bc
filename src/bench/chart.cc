#include "bench/chart.h"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace shoal::bench {

namespace json = boost::json;

namespace {

constexpr int kWidth = 900;
constexpr int kPanelHeight = 110;
constexpr int kLeft = 70, kRight = 170, kTop = 40, kGap = 30;

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::abs(v) >= 1000 || v == std::floor(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string ChartSvg(const std::string& title, const std::vector<ChartSeries>& series) {
  const int plot_w = kWidth - kLeft - kRight;
  const int height = kTop + static_cast<int>(series.size()) * (kPanelHeight + kGap) + 20;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      kWidth, height, kLeft, Escape(title));
  size_t longest = 1;
  for (const ChartSeries& s : series) longest = std::max(longest, s.values.size());
  for (size_t i = 0; i < series.size(); ++i) {
    const ChartSeries& s = series[i];
    const int top = kTop + static_cast<int>(i) * (kPanelHeight + kGap);
    const int bottom = top + kPanelHeight;
    double lo = 0, hi = 0;
    if (!s.values.empty()) {
      lo = std::min(0.0, *std::min_element(s.values.begin(), s.values.end()));
      hi = *std::max_element(s.values.begin(), s.values.end());
    }
    if (hi <= lo) hi = lo + 1;
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>\n"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#bbb\"/>\n"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
        kLeft, top - 6, Escape(s.name), kLeft, top, plot_w, kPanelHeight, kLeft - 6, top + 10,
        Number(hi), kLeft - 6, bottom, Number(lo));
    std::string points;
    for (size_t t = 0; t < s.values.size(); ++t) {
      double x = kLeft + (longest > 1 ? static_cast<double>(t) * plot_w / (longest - 1) : 0);
      double y = bottom - (s.values[t] - lo) / (hi - lo) * kPanelHeight;
      points += fmt::format("{:.1f},{:.1f} ", x, y);
    }
    if (!points.empty()) points.pop_back();
    out += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f6fb4\" stroke-width=\"1.5\"/>\n",
        points);
    if (!s.values.empty()) {
      out += fmt::format("<text x=\"{}\" y=\"{}\">last {} (n={})</text>\n", kLeft + plot_w + 8,
                         top + kPanelHeight / 2, Number(s.values.back()), s.values.size());
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\">0 s</text><text x=\"{}\" y=\"{}\" "
                       "text-anchor=\"end\">{} s</text>\n",
                       kLeft, bottom + 13, kLeft + plot_w, bottom + 13, longest - 1);
  }
  out += "</svg>\n";
  return out;
}

std::vector<ChartSeries> PerSecondSeries(const json::object& report) {
  std::vector<ChartSeries> out;
  std::vector<std::string> keys;
  for (const auto& kv : report) keys.emplace_back(kv.key());
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    if (!key.ends_with("_per_second")) continue;
    const json::value& v = report.at(key);
    if (!v.is_array()) continue;
    ChartSeries s;
    s.name = key;
    bool numbers = true;
    for (const json::value& x : v.get_array()) {
      if (!x.is_number()) {
        numbers = false;
        break;
      }
      s.values.push_back(x.to_number<double>());
    }
    if (numbers && !s.values.empty()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace shoal::bench
