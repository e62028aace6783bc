#include "scheduler/resources.h"

#include "base/strings.h"

namespace shoal::scheduler {

ResourceNames::ResourceNames() {
  names_ = {"cpu", "memory", "ephemeral-storage", "pods"};
  gpu_ = *Slot("nvidia.com/gpu");
}

absl::StatusOr<int> ResourceNames::Slot(std::string_view name) {
  int found = Find(name);
  if (found >= 0) return found;
  if (names_.size() >= kMaxResources) {
    return absl::ResourceExhaustedError(base::StrCat(
        "resource ", name, ": the scheduler tracks at most ", kMaxResources - kFirstExtended,
        " extended resources"));
  }
  names_.emplace_back(name);
  return static_cast<int>(names_.size()) - 1;
}

int ResourceNames::Find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace shoal::scheduler
