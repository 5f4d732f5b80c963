// run artifacts: a run's dbt target files, listed or downloaded (docs/cli.md, Artifacts).
#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "common/defer.hpp"

namespace dagctl::cli {

namespace {

struct ArtifactsArgs {
  std::string run, name, out;
  bool force = false;
};

void print_artifacts(const nlohmann::json& answer) {
  const auto& list = field(answer, "artifacts");
  if (!list.is_array() || list.empty()) {
    std::cerr << "run " << text_field(answer, "run_id")
              << " has no artifacts (dbt wrote none, or retention removed its folder)\n";
    return;
  }
  const auto now = common::now();
  std::vector<std::vector<std::string>> rows = {{"NAME", "SIZE", "MODIFIED"}};
  for (const auto& a : list) {
    const auto& size = field(a, "size");
    rows.push_back({text_field(a, "name"), size.is_number_unsigned() ? format_size(size.get<std::uint64_t>()) : text_of(size),
                    format_when(field(a, "modified_at"), now)});
  }
  print_table(rows, {0});
}

void write_all(int fd, std::string_view chunk, const std::string& where) {
  while (!chunk.empty()) {
    const auto n = ::write(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw CliError("cannot write " + where + ": " + std::strerror(errno));
    chunk.remove_prefix(static_cast<size_t>(n));
  }
}

// Streams the artifact into `fd`; a missing one is exit 1 naming what the run has.
void download(const Client& client, const std::string& run_id, const std::string& name, int fd,
              const std::string& where) {
  const std::string base = "/api/v1/runs/" + url_encode(run_id) + "/artifacts";
  std::string path;  // compiled/shop/models/x.sql: each segment encoded, the slashes kept
  for (size_t start = 0; start <= name.size();) {
    const auto slash = std::min(name.find('/', start), name.size());
    path += "/" + url_encode(name.substr(start, slash - start));
    start = slash + 1;
  }
  try {
    client.stream(base + path, [&](std::string_view chunk) { write_all(fd, chunk, where); });
  } catch (const CliError& e) {
    if (e.http_status() != 404) throw;
    std::string names;
    const auto listing = client.get(base);  // kept alive: field() returns a reference into it
    for (const auto& a : field(listing, "artifacts")) names += (names.empty() ? "" : ", ") + text_field(a, "name");
    throw CliError(fmt::format("run {} has no artifact {}; {}", run_id, name,
                               names.empty() ? "it has none" : "it has: " + names),
                   1);
  }
}

mode_t current_umask() {
  const mode_t mask = ::umask(0);  // the only way to read it; the CLI has one thread here
  ::umask(mask);
  return mask;
}

// -O FILE: written to a temporary file beside it, which becomes FILE only when the whole
// artifact arrived; an existing FILE is replaced only with --force.
void download_to_file(const Client& client, const std::string& run_id, const ArtifactsArgs& a) {
  if (!a.force && ::access(a.out.c_str(), F_OK) == 0) {
    throw CliError(a.out + " exists; pass --force to replace it, or -O - to write to stdout");
  }
  std::string temp = a.out + ".dagctl-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw CliError("cannot create " + a.out + ": " + std::strerror(errno));
  DEFER {
    ::close(fd);
    ::unlink(temp.c_str());  // once FILE is linked or renamed, only the temporary name goes
  };
  ::fchmod(fd, 0666 & ~current_umask());  // as a file the shell would create (mkstemp makes 0600)
  download(client, run_id, a.name, fd, a.out);
  if (::fsync(fd) != 0) throw CliError("cannot write " + a.out + ": " + std::strerror(errno));
  // Without --force, link() refuses a FILE that appeared meanwhile; rename() replaces it.
  if (a.force ? ::rename(temp.c_str(), a.out.c_str()) != 0 : ::link(temp.c_str(), a.out.c_str()) != 0) {
    throw CliError(errno == EEXIST ? a.out + " exists; pass --force to replace it"
                                   : "cannot write " + a.out + ": " + std::strerror(errno));
  }
}

}  // namespace

void add_run_artifacts_command(CLI::App& run_group, Context& ctx) {
  auto* cmd = run_group.add_subcommand("artifacts", "List a run's dbt artifacts, or write one out");
  auto a = std::make_shared<ArtifactsArgs>();
  cmd->add_option("RUN", a->run, "Run id, or 6 or more of its first characters")->required();
  cmd->add_option("NAME", a->name, "An artifact to write to stdout (manifest.json, compiled/...)");
  cmd->add_option("-O,--output-file", a->out, "Write NAME to this file instead (- for stdout)");
  cmd->add_flag("--force", a->force, "Replace the -O file when it exists");
  cmd->callback([&ctx, cmd, a] {
    if (cmd->count("-O") > 0 && a->name.empty()) throw CliError("-O needs an artifact NAME: dagctl run artifacts RUN NAME -O FILE");
    if (cmd->count("-O") > 0 && a->out.empty()) throw CliError("-O is empty; give a file, or - for stdout");
    const Client client = ctx.client();
    const std::string run_id = resolve_run_id(client, a->run);
    if (a->name.empty()) {
      const auto answer = client.get("/api/v1/runs/" + url_encode(run_id) + "/artifacts");
      return ctx.json() ? print_json(answer) : print_artifacts(answer);
    }
    if (a->out.empty() || a->out == "-") {
      std::cout.flush();
      return download(client, run_id, a->name, STDOUT_FILENO, "stdout");
    }
    download_to_file(client, run_id, *a);
    std::cerr << fmt::format("wrote {} of run {} to {}\n", a->name, short_id(run_id), a->out);
  });
}

}  // namespace dagctl::cli
