// Which daemon a store works for (docs/runs.md, Several daemons): the runs it claims carry
// its id and a lease it renews; its writes to a run are fenced by that id. Set once at
// start, before any thread uses the store. An empty id (tests, tools) fences nothing more
// than a run claimed with no id.
#pragma once

#include <chrono>
#include <string>

namespace dagctl::daemon::store {

struct Owner {
  std::string daemon_id;
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  int system_max_parallel = 0;  // runs running across every daemon; 0: no limit
};

}  // namespace dagctl::daemon::store
