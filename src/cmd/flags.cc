#include "cmd/flags.h"

#include <fmt/core.h>

#include "base/clock.h"

namespace shoal::cmd {

void AddDuration(CLI::App* app, const std::string& name, std::chrono::milliseconds& into,
                 const std::string& help) {
  app->add_option_function<std::string>(
         name, [&into](const std::string& v) { into = *base::ParseDuration(v); },
         fmt::format("{} (default {}s)", help, into.count() / 1000.0))
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return base::ParseDuration(v) ? "" : "not a duration like 40s, 500ms or 5m: " + v;
          },
          "DURATION"));
}

}  // namespace shoal::cmd
