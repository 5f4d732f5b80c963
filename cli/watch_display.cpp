#include "cli/watch_display.hpp"

#include "cli/dbt_lines.hpp"
#include "cli/status_line.hpp"
#include "cli/terminal.hpp"
#include "cli/text_width.hpp"
#include "common/time.hpp"

namespace dagctl::cli {

namespace {
constexpr const char* kClearLine = "\r\033[K";
}

WatchDisplay::WatchDisplay(DisplayOptions options, std::FILE* out) : options_(options), out_(out) {}

WatchDisplay::~WatchDisplay() { finish(); }

void WatchDisplay::feed(std::string_view chunk) {
  std::lock_guard lock(mutex_);
  if (!chunk.empty()) output_seen_ = true;
  if (options_.print && options_.whole_log && !options_.terminal) {
    // Piped `logs -f`: dbt's bytes as they are.
    std::fwrite(chunk.data(), 1, chunk.size(), out_);
    std::fflush(out_);
    return;
  }
  buffer_.append(chunk);
  size_t start = 0;
  for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
    on_line(buffer_.substr(start, nl - start));
  }
  buffer_.erase(0, start);
  if (options_.terminal && options_.print) draw_status();
}

void WatchDisplay::on_line(const std::string& raw) {
  std::string text = raw;
  if (!text.empty() && text.back() == '\r') text.pop_back();
  const auto node = parse_node_line(text);
  if (node) {
    total_ = node->total;
    if (node->status == "START") {
      started_[node->index] = {started_node_name(*node), SteadyClock::now()};
    } else {
      started_.erase(node->index);
      ++done_;
    }
  }
  if (!options_.print) return;
  if (options_.whole_log) {
    print_line(text);  // may wrap: it is printed whole before the status line is redrawn
  } else if (node && node->status != "START") {
    print_line(options_.terminal ? terminal_node_line(*node, options_.columns, options_.colour)
                                 : plain_node_line(*node, done_));
  }
}

void WatchDisplay::print_line(const std::string& text) {
  clear_status();
  std::fputs(text.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void WatchDisplay::clear_status() {
  if (drawn_.empty()) return;
  std::fputs(kClearLine, out_);
  drawn_.clear();
}

void WatchDisplay::draw_status() {
  if (finished_) return;
  const std::string text = status_text();
  if (text == drawn_) return;
  std::fputs(kClearLine, out_);
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  drawn_ = text;
}

std::string WatchDisplay::status_text() const {
  if (!run_.is_object()) return {};
  const double since_poll =
      std::chrono::duration<double>(SteadyClock::now() - polled_at_).count();
  StatusView view = status_view_from_run(run_, since_poll, common::to_rfc3339(common::now()));
  const nlohmann::json progress = run_.contains("progress") ? run_["progress"] : nlohmann::json();
  const bool daemon_phase = progress.is_object() && progress.contains("phase");
  // A daemon without the progress phases (docs/api.md): say what dbt's output shows.
  if (!daemon_phase && view.phase == "running") {
    if (!output_seen_) view.phase = "starting";
    else if (total_ == 0) view.phase = "parsing";
    if (view.total == 0) {
      view.done = done_;
      view.total = total_;
    }
  }
  if (!(progress.is_object() && progress.contains("running")) && view.phase == "running") {
    for (const auto& [index, node] : started_) {
      view.running.push_back(
          {node.name, std::chrono::duration<double>(SteadyClock::now() - node.at).count()});
    }
  }
  return render_status_line(view, options_.columns);
}

void WatchDisplay::set_run(const nlohmann::json& run) {
  std::lock_guard lock(mutex_);
  run_ = run;
  polled_at_ = SteadyClock::now();
}

void WatchDisplay::tick() {
  std::lock_guard lock(mutex_);
  if (options_.terminal && options_.print) draw_status();
}

void WatchDisplay::resize(int columns) {
  std::lock_guard lock(mutex_);
  const int old_width = display_width(drawn_);
  options_.columns = columns;
  if (!options_.terminal || !options_.print) return;
  if (!drawn_.empty()) {
    // A terminal that reflows its lines (tmux, VTE, kitty, iTerm2...) has wrapped a line
    // wider than its new width onto more rows: clear from the first of them down.
    const int rows_up = columns > 0 && old_width > 0 ? (old_width - 1) / columns : 0;
    if (rows_up > 0) std::fputs(("\033[" + std::to_string(rows_up) + "A").c_str(), out_);
    std::fputs("\r\033[J", out_);
    drawn_.clear();
  }
  draw_status();
}

void WatchDisplay::note(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (options_.terminal && options_.print) clear_status();
  std::fflush(out_);
  print_wrapped(stderr, text);
  if (options_.terminal && options_.print) draw_status();
}

void WatchDisplay::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (!buffer_.empty()) {
    on_line(buffer_);
    buffer_.clear();
  }
  clear_status();
  std::fflush(out_);
}

}  // namespace dagctl::cli
