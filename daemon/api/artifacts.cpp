#include "daemon/api/artifacts.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include <sys/stat.h>

#include "common/data_dir.hpp"
#include "common/limits.hpp"
#include "daemon/service/errors.hpp"

namespace dagctl::daemon::api {

namespace fs = std::filesystem;

std::vector<ArtifactEntry> list_artifacts(const std::string& data_dir, const std::string& run_id) {
  std::vector<ArtifactEntry> out;
  const auto folder = common::DataDir(data_dir).run_target(run_id);
  struct stat folder_info {};
  // The folder itself must be one (not a symlink to elsewhere).
  if (::lstat(folder.c_str(), &folder_info) != 0 || !S_ISDIR(folder_info.st_mode)) return out;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    // lstat, not the entry's cached type: a symlink is never followed, whatever it names.
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    const auto ms = std::int64_t{info.st_mtim.tv_sec} * 1000 + info.st_mtim.tv_nsec / 1000000;
    out.push_back({it->path().filename().string(), static_cast<std::uint64_t>(info.st_size), common::from_millis(ms)});
  }
  std::sort(out.begin(), out.end(), [](const ArtifactEntry& a, const ArtifactEntry& b) { return a.name < b.name; });
  return out;
}

void serve_artifact(const httplib::Request& req, httplib::Response& res, const std::string& data_dir,
                    const std::string& run_id, const std::string& rel) {
  const fs::path base = fs::weakly_canonical(common::DataDir(data_dir).run_target(run_id));
  const fs::path wanted = fs::path(rel);
  if (wanted.is_absolute() || rel.find("..") != std::string::npos) {
    throw service::bad_request("artifact paths are relative to the run's target folder and may not contain '..'");
  }
  // The file system sees a name only up to a NUL: "a.json%00.txt" would serve a.json.
  if (std::any_of(rel.begin(), rel.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    throw service::bad_request("artifact path " + common::quote(rel) + " has a control character (NUL, newline ...)");
  }
  std::error_code ec;
  const fs::path resolved = fs::canonical(base / wanted, ec);  // follows symlinks
  const auto base_text = base.string() + "/";
  if (ec || resolved.string().rfind(base_text, 0) != 0 || !fs::is_regular_file(resolved)) {
    throw service::not_found("run " + run_id + " has no artifact " + common::quote(rel) +
                             " (e.g. run_results.json, manifest.json)");
  }
  const bool is_json = resolved.extension() == ".json";
  const std::string type = is_json ? "application/json" : "application/octet-stream";
  // Opened now: retention may remove the file meanwhile, and the open file stays readable.
  auto file = std::make_shared<std::ifstream>(resolved, std::ios::binary);
  const auto size = file->is_open() ? fs::file_size(resolved, ec) : 0;
  res.status = 200;
  if (ec || size == 0) {
    // Nothing to stream (an empty or unreadable file): an empty answer.
    res.set_content("", type);
    return;
  }
  // httplib compresses JSON for clients that accept gzip or br (Airflow's requests does),
  // but only a stream of unknown length: give it one then. A Range asks for exact bytes.
  const std::string encodings = req.get_header_value("Accept-Encoding");
  const bool compressed = is_json && !req.has_header("Range") &&
                          (encodings.find("gzip") != std::string::npos || encodings.find("br") != std::string::npos);
  if (compressed) {
    res.set_chunked_content_provider(type, [file](size_t, httplib::DataSink& sink) {
      char buffer[64 * 1024];
      file->read(buffer, sizeof buffer);
      const auto n = file->gcount();
      if (n > 0) return sink.write(buffer, static_cast<size_t>(n));
      if (file->bad()) return false;
      sink.done();
      return true;
    });
    return;
  }
  // httplib asks for the bytes [offset, offset + length) a piece at a time (the whole file,
  // or the Range asked for); each call sends one buffer of it.
  res.set_content_provider(static_cast<size_t>(size), type,
                           [file](size_t offset, size_t length, httplib::DataSink& sink) {
                             char buffer[64 * 1024];
                             const auto n = std::min(length, sizeof buffer);
                             file->clear();
                             file->seekg(static_cast<std::streamoff>(offset));
                             file->read(buffer, static_cast<std::streamsize>(n));
                             // Shorter than it was when the answer began: end the connection.
                             if (file->gcount() != static_cast<std::streamsize>(n)) return false;
                             return sink.write(buffer, n);
                           });
}

}  // namespace dagctl::daemon::api
