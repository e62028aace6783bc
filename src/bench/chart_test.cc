#include "bench/chart.h"

#include <boost/json.hpp>
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::bench {
namespace {

namespace json = boost::json;

TEST(ChartTest, OnePanelPerSeriesWithItsPoints) {
  std::string svg = ChartSvg("smoke <40 nodes>", {{"gpu_share_per_second", {0, 0.5, 1}},
                                                  {"pods_bound_per_second", {3, 7}}});
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_THAT(svg, ::testing::HasSubstr("smoke &lt;40 nodes&gt;"));
  std::regex polyline(R"re(<polyline points="([^"]*)")re");
  std::vector<size_t> counts;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline);
       it != std::sregex_iterator(); ++it) {
    std::string pts = (*it)[1];
    counts.push_back(static_cast<size_t>(std::count(pts.begin(), pts.end(), ',')));
  }
  EXPECT_THAT(counts, ::testing::ElementsAre(3u, 2u));
  EXPECT_THAT(svg, ::testing::HasSubstr("last 7 (n=2)"));
}

TEST(ChartTest, PerSecondSeriesOfAReport) {
  json::object report = json::parse(R"({"nodes":40,"gpu_share_per_second":[0.1,0.2],
      "pods_bound_per_second":[1,2,3],"per_second_t_x":[[1,2]],"odd_per_second":["a"],
      "empty_per_second":[]})").as_object();
  std::vector<ChartSeries> s = PerSecondSeries(report);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "gpu_share_per_second");
  EXPECT_EQ(s[1].name, "pods_bound_per_second");
  EXPECT_EQ(s[1].values, (std::vector<double>{1, 2, 3}));
  EXPECT_THAT(ChartSvg("empty", {}), ::testing::HasSubstr("</svg>"));
}

}  // namespace
}  // namespace shoal::bench
