#include "controllers/controllers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(EnabledControllersTest, AllOneOrAllButOneAsKubeControllerManager) {
  EXPECT_EQ(EnabledControllers({"*"})->size(), std::size(kControllerNames));
  EXPECT_EQ(ControllerOptions{}.enabled, *EnabledControllers({"*"}));
  EXPECT_THAT(*EnabledControllers({"job", "queue"}), ElementsAre("job", "queue"));
  // A "-name" wins whatever the order, with or without "*".
  absl::StatusOr<std::set<std::string>> but_job = EnabledControllers({"-job", "*"});
  ASSERT_TRUE(but_job.ok());
  EXPECT_EQ(but_job->size(), std::size(kControllerNames) - 1);
  EXPECT_FALSE(but_job->contains("job"));
  EXPECT_TRUE(but_job->contains("queue"));
  EXPECT_THAT(*EnabledControllers({"queue", "-queue"}), ElementsAre());
  EXPECT_THAT(*EnabledControllers({}), ElementsAre());
}

TEST(EnabledControllersTest, AnUnknownNameIsAnError) {
  absl::StatusOr<std::set<std::string>> r = EnabledControllers({"*", "-jobs"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown controller \"jobs\""));
  EXPECT_THAT(r.status().message(), HasSubstr("(known: job, nodelifecycle, podgc, garbagecollector, podgroup, queue)"));
  EXPECT_FALSE(EnabledControllers({""}).ok());
}

}  // namespace
}  // namespace shoal::controllers
