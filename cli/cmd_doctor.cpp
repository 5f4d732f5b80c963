// doctor: one line per thing dagctl needs, from the daemon's socket to each project's
// dbt, profile and target (docs/cli.md, dagctl doctor).
#include <fmt/format.h>
#include <unistd.h>
#include <httplib.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "cli/text_width.hpp"
#include "cli/warm_lines.hpp"

namespace dagctl::cli {

namespace {

enum class Level { ok, warn, fail };

const char* label(Level level) {
  switch (level) {
    case Level::ok: return "ok";
    case Level::warn: return "warn";
    case Level::fail: return "FAIL";
  }
  return "FAIL";
}

struct Finding {
  std::string name;
  Level level;
  std::string detail;
};

class Findings {
public:
  explicit Findings(bool json) : json_(json) {}

  void add(std::string name, Level level, std::string detail) {
    if (!json_) {
      // "ok    daemon: ...", wrapped at spaces to a terminal's width under the name.
      const int columns = is_terminal(STDOUT_FILENO) ? terminal_columns(STDOUT_FILENO) : 0;
      const auto lines = wrap_words(name + ": " + detail, columns > 0 ? columns - 6 : 0, "", "  ");
      for (size_t i = 0; i < lines.size(); ++i) {
        std::cout << fmt::format("{:<4}  {}\n", i == 0 ? label(level) : "", lines[i]);
      }
      std::cout << std::flush;
    }
    items_.push_back({std::move(name), level, std::move(detail)});
  }
  bool failed() const {
    for (const auto& f : items_) {
      if (f.level == Level::fail) return true;
    }
    return false;
  }
  nlohmann::json to_json() const {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& f : items_) checks.push_back({{"name", f.name}, {"status", label(f.level)}, {"detail", f.detail}});
    return {{"ok", !failed()}, {"checks", checks}};
  }

private:
  bool json_;
  std::vector<Finding> items_;
};

constexpr double kGiB = 1024.0 * 1024 * 1024;

void check_versions(Findings& out, const nlohmann::json& d) {
  const std::string daemon = d.value("version", "?");
  if (daemon == DAGCTL_VERSION) {
    out.add("versions", Level::ok, fmt::format("dagctl {}, dagctld {}", DAGCTL_VERSION, daemon));
  } else {
    out.add("versions", Level::warn,
            fmt::format("dagctl {} but dagctld {}; restart the daemon so both are the same (dagctl daemon stop, "
                        "then dagctl daemon start)", DAGCTL_VERSION, daemon));
  }
}

void check_disk(Findings& out, const nlohmann::json& d) {
  const std::string dir = d.value("data_dir", "?");
  const auto free = d.find("data_dir_free_bytes");
  if (free == d.end() || !free->is_number()) {
    out.add("data dir", Level::warn, dir + ": free space unknown");
    return;
  }
  const double bytes = free->get<double>();
  if (bytes < kGiB) {
    out.add("data dir", Level::warn,
            fmt::format("{}: only {:.0f} MiB free; runs fail when the disk fills: free space, or keep fewer runs "
                        "(dagctld --keep-days/--keep-runs)", dir, bytes / (1024 * 1024)));
  } else {
    out.add("data dir", Level::ok, fmt::format("{}: {:.1f} GiB free", dir, bytes / kGiB));
  }
}

void check_sandbox(Findings& out, const nlohmann::json& d) {
  const auto s = d.value("sandbox", nlohmann::json::object());
  const std::string mode = s.value("mode", "off");
  const std::string detail = s.value("detail", "");
  if (s.value("active", false)) {
    out.add("sandbox", Level::ok, "runs are sandboxed (" + detail + ")");
  } else if (mode == "off") {
    out.add("sandbox", Level::warn, "off (dagctld --sandbox off): runs see all of the daemon user's files (docs/sandbox.md)");
  } else {
    out.add("sandbox", Level::warn, "runs are not sandboxed: " + detail + " (docs/sandbox.md)");
  }
}

void check_tcp(Findings& out, const nlohmann::json& d) {
  if (!d.contains("http") || !d["http"].is_string()) {
    out.add("tcp listener", Level::ok, "off (dagctld --listen none): the Unix socket only");
    return;
  }
  const std::string address = d["http"].get<std::string>();
  httplib::Client client("http://" + address);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  const auto res = client.Get("/api/v1/health");
  if (res && res->status == 200) {
    out.add("tcp listener", Level::ok, "http://" + address + " answers");
  } else {
    out.add("tcp listener", Level::fail,
            fmt::format("dagctld listens on {} but GET /api/v1/health there {}; is a firewall or another program "
                        "in the way?", address, res ? "answered " + std::to_string(res->status)
                                                    : "failed: " + httplib::to_string(res.error())));
  }
}

void check_projects(Findings& out, const Client& client, const nlohmann::json& d) {
  const auto projects = client.get("/api/v1/projects")["projects"];
  if (projects.empty()) {
    out.add("projects", Level::ok, "none registered yet; add one with: dagctl project add PATH");
    return;
  }
  for (const auto& p : projects) {
    const std::string name = p["name"].get<std::string>();
    try {
      const auto report = client.post("/api/v1/projects/" + url_encode(p["id"].get<std::string>()) + "/check");
      for (const auto& c : report["checks"]) {
        out.add(name + ": " + c["name"].get<std::string>(), c["ok"].get<bool>() ? Level::ok : Level::fail,
                c["detail"].get<std::string>());
      }
    } catch (const CliError& e) {
      out.add(name, Level::fail, std::string("could not check it: ") + e.what());
    }
    if (const auto warm = warm_finding(d, p)) out.add(name + ": warm worker", warm->warn ? Level::warn : Level::ok, warm->detail);
  }
}

}  // namespace

void add_doctor_commands(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Check the daemon, its data dir, sandbox and listener, and every project");
  cmd->callback([&ctx] {
    Findings out(ctx.json());
    const auto client = ctx.client();
    nlohmann::json d;
    try {
      d = client.get("/api/v1/daemon");
    } catch (const CliError& e) {
      out.add("daemon", Level::fail, e.what());
      if (ctx.json()) print_json(out.to_json());
      ctx.exit_code = 2;
      return;
    }
    out.add("daemon", Level::ok, fmt::format("dagctld answers on {} (pid {})", client.socket(), d.value("pid", 0)));
    check_versions(out, d);
    check_disk(out, d);
    check_sandbox(out, d);
    check_tcp(out, d);
    check_projects(out, client, d);
    if (ctx.json()) print_json(out.to_json());
    ctx.exit_code = out.failed() ? 1 : 0;
  });
}

}  // namespace dagctl::cli
