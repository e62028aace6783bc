#include "scheduler/queue.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::scheduler {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::Optional;
using Time = SchedulingQueue::Clock::time_point;

// Time starts at an arbitrary fixed point; tests move it by hand.
const Time kT0 = Time{} + 1000h;

std::vector<std::string> Drain(SchedulingQueue& q, Time now) {
  std::vector<std::string> out;
  while (auto key = q.Pop(now)) out.push_back(*key);
  return out;
}

TEST(SchedulingQueueTest, PriorityThenFirstComeFirstServed) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  q.Add("b", 10, kT0);
  q.Add("c", 0, kT0);
  q.Add("gang:ns/g", 10, kT0);
  q.Add("e", -5, kT0);
  EXPECT_EQ(q.active_size(), 5u);
  EXPECT_THAT(Drain(q, kT0), ElementsAre("b", "gang:ns/g", "a", "c", "e"));
  EXPECT_EQ(q.Pop(kT0), std::nullopt);
}

TEST(SchedulingQueueTest, AddUpdatesPriorityAndKeepsArrivalOrder) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  q.Add("b", 0, kT0);
  q.Add("c", 0, kT0);
  q.Add("c", 5, kT0);  // raised: goes first
  q.Add("a", 0, kT0);  // re-added: keeps its place before b
  EXPECT_EQ(q.active_size(), 3u);
  EXPECT_THAT(Drain(q, kT0), ElementsAre("c", "a", "b"));
}

TEST(SchedulingQueueTest, BackoffDoublesUpToTenSeconds) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  Time now = kT0;
  const std::vector<std::chrono::milliseconds> expected = {1s, 2s, 4s, 8s, 10s, 10s};
  for (auto backoff : expected) {
    ASSERT_THAT(q.Pop(now), Optional(std::string("a")));
    q.MarkBackoff("a", now);
    EXPECT_EQ(q.backoff_size(), 1u);
    EXPECT_EQ(q.active_size(), 0u);
    EXPECT_THAT(q.NextWakeup(), Optional(now + backoff));
    EXPECT_EQ(q.Pop(now + backoff - 1ms), std::nullopt) << backoff.count();
    now += backoff;
  }
  EXPECT_THAT(q.Pop(now), Optional(std::string("a")));
  EXPECT_EQ(q.backoff_size(), 0u);
  EXPECT_EQ(q.NextWakeup(), std::nullopt);
}

TEST(SchedulingQueueTest, DoneResetsTheBackoff) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  for (int i = 0; i < 3; ++i) {
    q.Pop(kT0 + i * 10s);
    q.MarkBackoff("a", kT0 + i * 10s);
  }
  EXPECT_THAT(q.NextWakeup(), Optional(kT0 + 20s + 4s));
  q.Pop(kT0 + 24s);
  q.Done("a");
  EXPECT_FALSE(q.Contains("a"));
  q.Add("a", 0, kT0 + 30s);
  q.Pop(kT0 + 30s);
  q.MarkBackoff("a", kT0 + 30s);
  EXPECT_THAT(q.NextWakeup(), Optional(kT0 + 31s));
}

TEST(SchedulingQueueTest, ItemInBackoffStaysThereWhenAddedAgain) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  q.Pop(kT0);
  q.MarkBackoff("a", kT0);
  q.Add("a", 7, kT0 + 500ms);  // an update while backing off
  EXPECT_EQ(q.active_size(), 0u);
  EXPECT_EQ(q.backoff_size(), 1u);
  EXPECT_EQ(q.Pop(kT0 + 500ms), std::nullopt);
  // Once its back-off is over, an Add makes it active straight away.
  q.Add("a", 7, kT0 + 1s);
  EXPECT_EQ(q.active_size(), 1u);
  EXPECT_EQ(q.backoff_size(), 0u);
  q.Add("b", 3, kT0 + 1s);
  EXPECT_THAT(Drain(q, kT0 + 1s), ElementsAre("a", "b"));  // with its new priority
}

TEST(SchedulingQueueTest, UnschedulableWaitsForAClusterEvent) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  q.Pop(kT0);
  q.MarkUnschedulable("a", kT0);
  EXPECT_EQ(q.unschedulable_size(), 1u);
  EXPECT_EQ(q.Pop(kT0 + 10s), std::nullopt);
  EXPECT_EQ(q.Pop(kT0 + 299s), std::nullopt);
  q.MoveAllToActive(kT0 + 2s);  // its 1 s back-off is over: straight to active
  EXPECT_EQ(q.unschedulable_size(), 0u);
  EXPECT_EQ(q.active_size(), 1u);
  EXPECT_THAT(q.Pop(kT0 + 2s), Optional(std::string("a")));
}

// a and b fit nowhere: b once (a 1 s back-off from kT0), a twice (2 s from kT0 + 1 ms).
void ParkAAndB(SchedulingQueue& q) {
  q.Add("a", 0, kT0);
  q.Add("b", 0, kT0);
  Drain(q, kT0);
  q.MarkUnschedulable("a", kT0);
  q.MarkUnschedulable("b", kT0);
  q.Add("a", 0, kT0 + 1ms);
  q.Pop(kT0 + 1ms);
  q.MarkUnschedulable("a", kT0 + 1ms);
}

TEST(SchedulingQueueTest, MoveAllToActiveSendsItemsStillBackingOffToBackoff) {
  SchedulingQueue q;
  ParkAAndB(q);
  q.MoveAllToActive(kT0 + 500ms);
  EXPECT_EQ(q.unschedulable_size(), 0u);
  EXPECT_EQ(q.backoff_size(), 2u);
  EXPECT_THAT(q.NextWakeup(), Optional(kT0 + 1s));
  // While something is active, the back-off is waited out.
  q.Add("c", 0, kT0 + 600ms);
  EXPECT_THAT(Drain(q, kT0 + 600ms), ElementsAre("c", "b"));  // then b, early (idle)
  EXPECT_EQ(q.backoff_size(), 1u);
}

TEST(SchedulingQueueTest, AnIdleQueuePopsItemsMovedByAnEventEarlyAtAPace) {
  SchedulingQueue q;
  ParkAAndB(q);
  // A failure backs off in full: only a cluster event makes an item eligible to go early.
  q.Add("e", 0, kT0);
  q.Pop(kT0);
  q.MarkBackoff("e", kT0);
  EXPECT_EQ(q.Pop(kT0 + 100ms), std::nullopt);
  q.MoveAllToActive(kT0 + 500ms);
  // Nothing is active: the soonest back-off end (b, 1 s) goes first, at once ...
  EXPECT_EQ(q.Pop(kT0 + 500ms), "b");
  // ... and the next not before kEarlyPopInterval has passed.
  EXPECT_EQ(q.Pop(kT0 + 600ms), std::nullopt);
  EXPECT_THAT(q.NextWakeup(), Optional(kT0 + 500ms + SchedulingQueue::kEarlyPopInterval));
  EXPECT_EQ(q.Pop(kT0 + 700ms), "a");
  EXPECT_EQ(q.Pop(kT0 + 900ms), std::nullopt);  // e waits out its back-off
  EXPECT_EQ(q.Pop(kT0 + 1s), "e");
}

TEST(SchedulingQueueTest, ActivateNowSkipsTheBackoffOfAPreemptorWhoseRoomIsFree) {
  SchedulingQueue q;
  q.Add("preemptor", 0, kT0);
  q.Add("other", 0, kT0);
  Drain(q, kT0);
  q.MarkUnschedulable("preemptor", kT0);
  q.MarkUnschedulable("other", kT0);
  // A victim goes: every unschedulable item moves towards active, into its 1 s back-off ...
  q.MoveAllToActive(kT0 + 100ms);
  EXPECT_EQ(q.backoff_size(), 2u);
  // ... and the one whose victim it was goes active at once; the other still backs off.
  q.ActivateNow("preemptor");
  EXPECT_EQ(q.Pop(kT0 + 100ms), "preemptor");
  EXPECT_EQ(q.backoff_size(), 1u);
  // Items not queued (in flight, done, unknown) are left alone.
  q.ActivateNow("preemptor");
  q.ActivateNow("nobody");
  EXPECT_EQ(q.active_size(), 0u);
  EXPECT_THAT(Drain(q, kT0 + 1s), ElementsAre("other"));
}

TEST(SchedulingQueueTest, UnschedulableItemsAreRetriedAfterFiveMinutes) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  q.Pop(kT0);
  q.MarkUnschedulable("a", kT0);
  EXPECT_THAT(q.NextWakeup(), Optional(kT0 + 300s));
  EXPECT_EQ(q.Pop(kT0 + 300s - 1ms), std::nullopt);
  EXPECT_THAT(q.Pop(kT0 + 300s), Optional(std::string("a")));
  EXPECT_EQ(q.unschedulable_size(), 0u);
}

TEST(SchedulingQueueTest, AddOfAnUnschedulableItemActivatesIt) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  q.Pop(kT0);
  q.MarkUnschedulable("a", kT0);
  q.Add("a", 0, kT0 + 1ms);  // the pod itself changed
  EXPECT_EQ(q.unschedulable_size(), 0u);
  EXPECT_EQ(q.active_size(), 1u);
  EXPECT_THAT(q.Pop(kT0 + 1ms), Optional(std::string("a")));
}

TEST(SchedulingQueueTest, AGangWaitingForMembersStartsAtOnceWhenOneArrives) {
  SchedulingQueue q;
  // Earlier failures gave the gang a long back-off.
  q.Add("gang:ns/g", 0, kT0);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(q.Pop(kT0 + i * 20s), "gang:ns/g");
    q.MarkBackoff("gang:ns/g", kT0 + i * 20s);
  }
  ASSERT_EQ(q.Pop(kT0 + 200s), "gang:ns/g");
  q.MarkWaiting("gang:ns/g");  // 6 of 8 members exist
  EXPECT_TRUE(q.Contains("gang:ns/g"));
  // No cluster event or time wakes it: only its own change.
  q.MoveAllToActive(kT0 + 201s);
  EXPECT_EQ(q.Pop(kT0 + 1000s), std::nullopt);
  EXPECT_EQ(q.NextWakeup(), std::nullopt);
  // The last member arrives: active now, with no back-off left to wait out.
  q.Add("gang:ns/g", 0, kT0 + 1001s);
  EXPECT_EQ(q.Pop(kT0 + 1001s), "gang:ns/g");
}

TEST(SchedulingQueueTest, RemoveForgetsTheItemWhereverItIs) {
  SchedulingQueue q;
  q.Add("active", 0, kT0);
  q.Add("backoff", 0, kT0);
  q.Add("unsched", 0, kT0);
  q.Add("inflight", -1, kT0);
  Drain(q, kT0);
  q.Add("active", 0, kT0);
  q.MarkBackoff("backoff", kT0);
  q.MarkUnschedulable("unsched", kT0);
  EXPECT_EQ(q.active_size() + q.backoff_size() + q.unschedulable_size(), 3u);
  for (const char* key : {"active", "backoff", "unsched", "inflight"}) {
    EXPECT_TRUE(q.Contains(key)) << key;
    q.Remove(key);
    EXPECT_FALSE(q.Contains(key)) << key;
  }
  EXPECT_EQ(q.active_size(), 0u);
  EXPECT_EQ(q.backoff_size(), 0u);
  EXPECT_EQ(q.unschedulable_size(), 0u);
  EXPECT_EQ(q.NextWakeup(), std::nullopt);
  EXPECT_EQ(q.Pop(kT0 + 1h), std::nullopt);
  q.Remove("never-added");
  // A removed in-flight item that fails is not re-queued.
  q.MarkBackoff("inflight", kT0);
  q.MarkUnschedulable("inflight", kT0);
  EXPECT_FALSE(q.Contains("inflight"));
  EXPECT_EQ(q.backoff_size() + q.unschedulable_size(), 0u);
}

TEST(SchedulingQueueTest, ItemChangedWhileInFlightIsQueuedAgain) {
  SchedulingQueue q;
  q.Add("a", 0, kT0);
  ASSERT_THAT(q.Pop(kT0), Optional(std::string("a")));
  EXPECT_TRUE(q.Contains("a"));
  EXPECT_EQ(q.active_size(), 0u);
  q.Add("a", 0, kT0);
  EXPECT_THAT(q.Pop(kT0), Optional(std::string("a")));
}

}  // namespace
}  // namespace shoal::scheduler
