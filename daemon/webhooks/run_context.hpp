// What a finished run's deliveries are built from (docs/webhooks.md#kinds-of-delivery):
// read by Outbox::owed_for before the run's end transaction, so the builders, which run
// inside it, never touch the store or the disk.
#pragma once

#include <string>
#include <vector>

#include "daemon/store/models.hpp"

namespace dagctl::daemon::webhooks {

// The daemon's settings the builders need.
struct OutboxOptions {
  std::string data_dir;               // where runs/<id>/ are (common::DataDir)
  std::string openlineage_url;        // dagctld --openlineage-url; empty: none (docs/openlineage.md)
  std::string openlineage_namespace;  // dagctld --openlineage-namespace
};

struct RunContext {
  store::Job job;
  store::Project project;
  store::Organization org;
  const OutboxOptions* options = nullptr;
  std::string run_dir;                  // DATA_DIR/runs/<run id>: target/, logs/
  std::vector<store::NodeRecord> nodes;  // read before the end: those still running end interrupted
};

}  // namespace dagctl::daemon::webhooks
