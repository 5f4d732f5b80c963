// Tests for daemon/app/config: dagctld's settings as docs/daemon.md describes them —
// defaults, a flag beating its environment variable, --listen and --allow-remote, and the
// values refused. Bad usage ends the process with exit code 2 and CLI11's message (death
// tests); values that cannot work throw std::runtime_error, printed by the caller.
#include "daemon/app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using dagctl::daemon::app::Config;
using dagctl::daemon::app::kDefaultPort;
using dagctl::daemon::app::listen_address;
using dagctl::daemon::app::parse_config;
using dagctl::daemon::app::parse_listen;

// Sets and unsets environment variables for one test, restoring each as it was.
class EnvGuard {
public:
  EnvGuard() = default;
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void set(const std::string& name, const std::string& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    ::unsetenv(name.c_str());
  }

private:
  void save(const std::string& name) {
    if (saved_.count(name)) return;
    const char* value = std::getenv(name.c_str());
    saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

// Every variable parse_config reads, so that the environment of whoever runs the tests
// (a DAGCTL_LISTEN in their shell) changes nothing.
const char* const kVariables[] = {
    "DAGCTL_DATA_DIR", "DAGCTL_SOCKET", "DAGCTL_LISTEN", "DAGCTL_ALLOW_REMOTE", "DAGCTL_DBT",
    "DAGCTL_MAX_PARALLEL", "DAGCTL_LOG_LEVEL", "DAGCTL_STOP_GRACE", "DAGCTL_WEBHOOK_CA_FILE",
    "DAGCTL_WEBHOOK_RETRIES", "DAGCTL_WEBHOOK_RETRY_DELAY", "DAGCTL_WEBHOOK_TIMEOUT",
    "DAGCTL_ALLOW_WEBHOOK_LINK_LOCAL", "DAGCTL_KEEP_DAYS", "DAGCTL_KEEP_RUNS", "DAGCTL_SANDBOX",
    "DAGCTL_SANDBOX_WRITABLE", "DAGCTL_PASS_ENV",
};

class ConfigTest : public ::testing::Test {
protected:
  ConfigTest() {
    for (const char* name : kVariables) env_.unset(name);
    env_.set("XDG_STATE_HOME", "/home/ana/.state");
    env_.set("XDG_RUNTIME_DIR", "/run/user/1000");
  }

  // parse_config over "dagctld" followed by `args`.
  static Config parse(std::vector<std::string> args) {
    args.insert(args.begin(), "dagctld");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return parse_config(static_cast<int>(args.size()), argv.data());
  }

  // The message of the std::runtime_error parse() throws; fails the test when none.
  static std::string refusal(const std::vector<std::string>& args) {
    try {
      parse(args);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected the arguments to be refused";
    return "";
  }

  EnvGuard env_;
};

// Bad usage exits the process: each death test runs in a child that re-executes this
// test alone, so the child sees the same environment the fixture sets.
class ConfigDeathTest : public ConfigTest {
protected:
  ConfigDeathTest() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(ConfigTest, DefaultsWhenNothingIsSaid) {
  const Config c = parse({});
  EXPECT_EQ(c.data_dir, "/home/ana/.state/dagctl");
  EXPECT_EQ(c.socket_path, "/run/user/1000/dagctl/dagctl.sock");
  EXPECT_EQ(c.listen, "127.0.0.1:" + std::to_string(kDefaultPort));
  EXPECT_EQ(kDefaultPort, 8780);
  EXPECT_FALSE(c.allow_remote);
  EXPECT_EQ(c.dbt, "dbt");
  EXPECT_GE(c.max_parallel, 1);
  EXPECT_EQ(c.sandbox, "auto");
  EXPECT_EQ(c.keep_days, 30);
  EXPECT_EQ(c.keep_runs, 1000);
  EXPECT_TRUE(c.pass_env.empty());
}

TEST_F(ConfigTest, WithoutXdgStateHomeTheDataDirIsUnderHome) {
  env_.unset("XDG_STATE_HOME");
  env_.set("HOME", "/home/ana");
  EXPECT_EQ(parse({}).data_dir, "/home/ana/.local/state/dagctl");
}

TEST_F(ConfigTest, WithNeitherXdgStateHomeNorHomeItAsksForDataDir) {
  env_.unset("XDG_STATE_HOME");
  env_.unset("HOME");
  EXPECT_NE(refusal({}).find("pass --data-dir"), std::string::npos);
  EXPECT_EQ(parse({"--data-dir", "/srv/dagctl"}).data_dir, "/srv/dagctl");
}

TEST_F(ConfigTest, AVariableIsUsedWhenTheFlagIsAbsent) {
  env_.set("DAGCTL_LISTEN", "127.0.0.1:9000");
  env_.set("DAGCTL_DATA_DIR", "/srv/from-env");
  env_.set("DAGCTL_MAX_PARALLEL", "3");
  const Config c = parse({});
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.data_dir, "/srv/from-env");
  EXPECT_EQ(c.max_parallel, 3);
}

TEST_F(ConfigTest, AFlagBeatsItsVariable) {
  env_.set("DAGCTL_LISTEN", "127.0.0.1:9000");
  env_.set("DAGCTL_DATA_DIR", "/srv/from-env");
  env_.set("DAGCTL_MAX_PARALLEL", "3");
  const Config c = parse({"--listen", "127.0.0.1:9100", "--data-dir", "/srv/from-flag", "--max-parallel", "5"});
  EXPECT_EQ(c.listen, "127.0.0.1:9100");
  EXPECT_EQ(c.data_dir, "/srv/from-flag");
  EXPECT_EQ(c.max_parallel, 5);
}

TEST_F(ConfigTest, ListenNoneTurnsTcpOff) {
  EXPECT_EQ(parse({"--listen", "none"}).listen, "none");
}

TEST_F(ConfigTest, ARemoteAddressNeedsAllowRemote) {
  const Config c = parse({"--listen", "0.0.0.0:80"});
  EXPECT_FALSE(c.allow_remote);
  try {
    listen_address(c);
    ADD_FAILURE() << "0.0.0.0:80 was accepted without --allow-remote";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("not a loopback address"), std::string::npos) << message;
    EXPECT_NE(message.find("--allow-remote"), std::string::npos) << message;
  }

  const Config allowed = parse({"--listen", "0.0.0.0:80", "--allow-remote"});
  EXPECT_TRUE(allowed.allow_remote);
  EXPECT_EQ(listen_address(allowed).host, "0.0.0.0");
  EXPECT_EQ(listen_address(allowed).port, 80);
}

TEST_F(ConfigTest, LoopbackAddressesNeedNoAllowRemote) {
  for (const char* listen : {"127.0.0.1:8780", "localhost:8780", "[::1]:0", "127.1.2.3:1"}) {
    EXPECT_NO_THROW(listen_address(parse({"--listen", listen}))) << listen;
  }
}

TEST_F(ConfigTest, ListenIsHostColonPort) {
  const auto v6 = parse_listen("[::1]:0");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 0);
  const auto named = parse_listen("localhost:8780");
  EXPECT_EQ(named.host, "localhost");
  EXPECT_EQ(named.port, 8780);
  for (const char* bad : {"8780", ":8780", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:-1"}) {
    EXPECT_THROW(parse_listen(bad), std::runtime_error) << bad;
  }
  try {
    parse_listen("8780");
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is not HOST:PORT"), std::string::npos) << e.what();
  }
}

TEST_F(ConfigTest, LoopbackHosts) {
  using dagctl::daemon::app::is_loopback_host;
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("192.168.1.10"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_FALSE(is_loopback_host("127.example.com"));  // a name, resolved anywhere
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
}

TEST_F(ConfigTest, SecretsAreNeverPassedToDbt) {
  for (const char* secret : {"DAGCTL_TOKEN", "DAGCTL_WEBHOOK_AUTH_PASSWORD"}) {
    const std::string message = refusal({"--pass-env", secret});
    EXPECT_NE(message.find(secret), std::string::npos) << message;
    EXPECT_NE(message.find("secrets never reach dbt"), std::string::npos) << message;
  }
  env_.set("DAGCTL_PASS_ENV", "AWS_PROFILE,DAGCTL_TOKEN");
  EXPECT_NE(refusal({}).find("DAGCTL_TOKEN"), std::string::npos);
}

TEST_F(ConfigTest, PassEnvTakesVariableNames) {
  EXPECT_EQ(parse({"--pass-env", "AWS_PROFILE", "--pass-env", "PGPASSFILE"}).pass_env,
            (std::vector<std::string>{"AWS_PROFILE", "PGPASSFILE"}));
  env_.set("DAGCTL_PASS_ENV", "AWS_PROFILE,PGPASSFILE");
  EXPECT_EQ(parse({}).pass_env, (std::vector<std::string>{"AWS_PROFILE", "PGPASSFILE"}));
  EXPECT_NE(refusal({"--pass-env", "1PASSWORD"}).find("is not a variable name"), std::string::npos);
  EXPECT_NE(refusal({"--pass-env", "A-B"}).find("is not a variable name"), std::string::npos);
}

TEST_F(ConfigTest, SandboxWritableFoldersMustBeAbsolute) {
  EXPECT_EQ(parse({"--sandbox-writable", "/data/duck"}).sandbox_writable, (std::vector<std::string>{"/data/duck"}));
  EXPECT_NE(refusal({"--sandbox-writable", "data/duck"}).find("is not an absolute path"), std::string::npos);
}

TEST_F(ConfigTest, SandboxIsAutoOnOrOff) {
  for (const char* mode : {"auto", "on", "off"}) EXPECT_EQ(parse({"--sandbox", mode}).sandbox, mode);
  env_.set("DAGCTL_SANDBOX", "off");
  EXPECT_EQ(parse({}).sandbox, "off");
}

TEST_F(ConfigDeathTest, AnotherSandboxValueIsBadUsage) {
  EXPECT_EXIT(parse({"--sandbox", "maybe"}), ::testing::ExitedWithCode(2), "--sandbox");
}

TEST_F(ConfigDeathTest, MaxParallelZeroIsBadUsage) {
  EXPECT_EXIT(parse({"--max-parallel", "0"}), ::testing::ExitedWithCode(2), "--max-parallel");
}

TEST_F(ConfigDeathTest, AnUnknownFlagIsBadUsage) {
  EXPECT_EXIT(parse({"--max-paralel", "2"}), ::testing::ExitedWithCode(2), "max-paralel");
}

TEST_F(ConfigDeathTest, ABadVariableIsBadUsageToo) {
  env_.set("DAGCTL_MAX_PARALLEL", "0");
  EXPECT_EXIT(parse({}), ::testing::ExitedWithCode(2), "max-parallel|MAX_PARALLEL");
}

}  // namespace
