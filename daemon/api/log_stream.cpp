#include "daemon/api/log_stream.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>

#include "common/data_dir.hpp"

namespace dagctl::daemon::api {

namespace {

// How many looks a second apart a follower gives a store that is away before it cuts the stream.
constexpr int kStoreFailuresFollowed = 60;

// Holds one of a listener's follower places for as long as a log stream lives.
class FollowerSlot {
public:
  explicit FollowerSlot(std::atomic<int>& count) : count_(count) {}
  ~FollowerSlot() { count_.fetch_sub(1); }
  FollowerSlot(const FollowerSlot&) = delete;
  FollowerSlot& operator=(const FollowerSlot&) = delete;

  // nullptr when `limit` streams are being served already.
  static std::shared_ptr<FollowerSlot> take(std::atomic<int>& count, int limit) {
    if (count.fetch_add(1) >= limit) {
      count.fetch_sub(1);
      return nullptr;
    }
    return std::make_shared<FollowerSlot>(count);
  }

private:
  std::atomic<int>& count_;
};

}  // namespace

void LogStreams::serve(const Call& call, httplib::Response& res, const store::Run& run, std::uint64_t offset,
                       bool follow) {
  struct Stream {
    std::ifstream file;
    std::uint64_t position = 0;  // the next byte to send
    bool elsewhere = false;      // another daemon runs it: its log is read from the store
    int store_failures = 0;      // in a row
    std::shared_ptr<FollowerSlot> slot;  // followers only; freed with the response
  };
  auto stream = std::make_shared<Stream>();
  stream->position = offset;
  stream->elsewhere = service_.ran_elsewhere(run);
  if (follow) {
    // By listener, not by who asks: a local web UI session is the owner but holds TCP threads.
    const bool on_socket = call.owner && !call.session;
    stream->slot = on_socket ? FollowerSlot::take(followers_socket_, kMaxFollowersSocket)
                             : FollowerSlot::take(followers_tcp_, kMaxFollowersTcp);
    if (!stream->slot) {
      const int limit = on_socket ? kMaxFollowersSocket : kMaxFollowersTcp;
      res.set_header("Retry-After", "5");
      send_error(res, 503, "too_many_followers",
                 std::to_string(limit) + " log streams are being followed on this listener already, the most it "
                 "serves at once; retry in a few seconds, or read the log without follow=true and poll with offset=N");
      return;
    }
  }
  res.set_chunked_content_provider(
      "text/plain; charset=utf-8",
      [this, stream, follow, path = common::DataDir(data_dir_).run_log(run.id), id = run.id](
          size_t, httplib::DataSink& sink) {
        char buffer[64 * 1024];
        auto& file = stream->file;
        // Bounded memory whatever the log's size: one buffer at a time.
        while (sink.is_writable()) {
          const std::uint64_t ends_seen = service_.run_ends().count();  // before the status
          bool ended = !follow;
          std::streamsize n = 0;
          try {
            if (!ended) {
              // Retention or a job's deletion can remove the run meanwhile: then it has ended.
              const auto now_run = service_.find_run(id);
              ended = !now_run || common::is_terminal(now_run->status);
              if (now_run) stream->elsewhere = service_.ran_elsewhere(*now_run);  // a queued run claimed since
            }
            // A queued run has no log yet: the executor creates it when the run starts. The
            // file, when there is one, is the whole log; the store's copy may stop at its cap.
            if (!file.is_open()) file.open(path, std::ios::binary);
            if (!file.is_open() && stream->elsewhere) {
              const std::string stored = service_.stored_log(id, stream->position, sizeof buffer);
              std::copy(stored.begin(), stored.end(), buffer);
              n = static_cast<std::streamsize>(stored.size());
            } else if (file.is_open()) {
              // From our own position each time: an offset past the end (even one the file
              // system cannot seek to) reads nothing until the log grows past it.
              file.clear();
              file.seekg(static_cast<std::streamoff>(stream->position));
              if (file) {
                file.read(buffer, sizeof buffer);
                n = file.gcount();
              }
            }
            stream->store_failures = 0;
          } catch (const std::exception&) {
            // The store is away. The answer has begun, so it cannot turn into a 503: a
            // follower waits for it a while; otherwise the stream is cut, which tells the
            // client the log is incomplete (resume with offset=N).
            if (!follow || ++stream->store_failures > kStoreFailuresFollowed) return false;
            service_.run_ends().wait(ends_seen, std::chrono::seconds(1));
            continue;
          }
          if (n > 0) {
            stream->position += static_cast<std::uint64_t>(n);
            if (!sink.write(buffer, static_cast<size_t>(n))) return false;
            continue;
          }
          // Nothing new. The status was read before this read, so once it says ended,
          // everything dbt wrote is already behind us.
          if (ended) break;
          // dbt writes on: look again in a while; the run ends here: look again at once. Its
          // daemon stores a run's log every half second (run_mirror.hpp).
          service_.run_ends().wait(ends_seen, std::chrono::milliseconds(stream->elsewhere ? 500 : 100));
        }
        sink.done();
        return true;
      });
}

}  // namespace dagctl::daemon::api
