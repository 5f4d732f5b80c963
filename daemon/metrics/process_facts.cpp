#include "daemon/metrics/process_facts.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace dagctl::daemon::metrics {

namespace {

std::optional<double> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

ProcessFacts read_process_facts() {
  ProcessFacts out;
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  {
    std::ifstream in("/proc/self/statm");
    long long size = 0, resident = 0;
    if (in >> size >> resident && page > 0) out.resident_memory_bytes = static_cast<double>(resident) * page;
  }
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line) || ticks <= 0) return out;
  // The command name is in parentheses and may hold spaces: fields count from the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  // After ')': field 3 (state) is index 0; utime is field 14, stime 15, starttime 22.
  double utime = 0, stime = 0, start_ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
    if (i == 22) start_ticks = std::stod(field);
  }
  out.cpu_seconds = (utime + stime) / static_cast<double>(ticks);
  if (const auto boot = boot_time_seconds()) out.start_time_seconds = *boot + start_ticks / static_cast<double>(ticks);
  return out;
}

}  // namespace dagctl::daemon::metrics
