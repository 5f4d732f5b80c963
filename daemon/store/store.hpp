// The daemon's only access to its database, SQLite or PostgreSQL: one connection
// (connection.hpp) and a store per aggregate on it. Every store method is one transaction and thread-safe; what they throw
// is in errors.hpp.
#pragma once

#include <chrono>
#include <string>

#include "daemon/store/connection.hpp"
#include "daemon/store/daemon_store.hpp"
#include "daemon/store/delivery_store.hpp"
#include "daemon/store/errors.hpp"
#include "daemon/store/job_store.hpp"
#include "daemon/store/lease_store.hpp"
#include "daemon/store/log_store.hpp"
#include "daemon/store/metrics_store.hpp"
#include "daemon/store/models.hpp"
#include "daemon/store/node_store.hpp"
#include "daemon/store/owner.hpp"
#include "daemon/store/project_store.hpp"
#include "daemon/store/run_store.hpp"
#include "daemon/store/schedule_store.hpp"
#include "daemon/store/token_store.hpp"

namespace dagctl::daemon::store {

class Store {
public:
  // A write waits up to `busy_wait` for a lock another process holds on the database,
  // letting other callers use the connection meanwhile; then it throws StoreBusy.
  explicit Store(const std::string& database_path, std::chrono::milliseconds busy_wait = std::chrono::seconds(5))
      : connection_(database_path, busy_wait) {}
  // `--store` (docs/scale-out.md#the-store).
  explicit Store(const StoreUrl& url, std::chrono::milliseconds busy_wait = std::chrono::seconds(5))
      : connection_(url, busy_wait) {}

  ProjectStore& projects() { return projects_; }  // and the organization
  JobStore& jobs() { return jobs_; }
  RunStore& runs() { return runs_; }
  NodeStore& nodes() { return nodes_; }  // each run's dbt nodes
  LogStore& logs() { return logs_; }      // runs' logs, for the other daemons of the store
  DeliveryStore& deliveries() { return deliveries_; }
  TokenStore& tokens() { return tokens_; }
  MetricsStore& metrics() { return metrics_; }  // a metrics scrape's reads
  DaemonStore& daemons() { return daemons_; }  // the daemons sharing the database

  // The daemon this store works for (owner.hpp); call before any thread uses the store.
  void set_owner(Owner owner) { owner_ = std::move(owner); }
  const Owner& owner() const { return owner_; }
  LeaseStore& leases() { return leases_; }  // several daemons on one database
  ScheduleStore& schedules() { return schedules_; }  // the scheduler's writes

private:
  Connection connection_;
  Owner owner_;
  ProjectStore projects_{connection_};
  JobStore jobs_{connection_};
  RunStore runs_{connection_, owner_};
  NodeStore nodes_{connection_, owner_};
  LogStore logs_{connection_, owner_};
  DeliveryStore deliveries_{connection_};
  TokenStore tokens_{connection_};
  MetricsStore metrics_{connection_};
  DaemonStore daemons_{connection_};
  LeaseStore leases_{connection_};
  ScheduleStore schedules_{connection_};
};

}  // namespace dagctl::daemon::store
