#include "daemon/app/daemon_id.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/random.hpp"

namespace dagctl::daemon::app {

namespace {

bool well_formed(const std::string& id) {
  if (id.size() < 8 || id.size() > 64 || id.rfind("dmn_", 0) != 0) return false;
  return id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
}

}  // namespace

std::string load_or_create_daemon_id(const common::DataDir& layout) {
  const std::string path = layout.daemon_id_file();
  {
    std::ifstream in(path);
    std::string id;
    if (in && std::getline(in, id)) {
      if (!well_formed(id)) throw std::runtime_error(path + " does not hold a daemon id (dmn_...); remove it to make a new one");
      return id;
    }
  }
  const std::string id = "dmn_" + common::random_base62(16);
  // Written whole, then renamed: a crash never leaves half an id.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
  return id;
}

}  // namespace dagctl::daemon::app
