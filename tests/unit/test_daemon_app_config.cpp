// Tests for daemon/app/config: dagctld's settings as docs/daemon.md describes them —
// defaults, a flag beating its environment variable beating the config file, --listen and
// --allow-remote, and the values refused. Bad usage and a bad config file give a
// ConfigExit with code 2 and the message; values that cannot work throw
// std::runtime_error, printed by the caller.
#include "daemon/app/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "tests/unit/test_util.hpp"

namespace {

using dagctl::daemon::app::ConfigExit;

using dagctl::daemon::app::Config;
using dagctl::daemon::app::kDefaultPort;
using dagctl::daemon::app::listen_address;
using dagctl::daemon::app::parse_config;
using dagctl::daemon::app::parse_listen;

// Every variable parse_config reads, so that the environment of whoever runs the tests
// (a DAGCTL_LISTEN in their shell) changes nothing.
const char* const kVariables[] = {
    "DAGCTL_DATA_DIR", "DAGCTL_SOCKET", "DAGCTL_LISTEN", "DAGCTL_ALLOW_REMOTE", "DAGCTL_DBT",
    "DAGCTL_MAX_PARALLEL", "DAGCTL_LOG_LEVEL", "DAGCTL_STOP_GRACE", "DAGCTL_WEBHOOK_CA_FILE",
    "DAGCTL_WEBHOOK_RETRIES", "DAGCTL_WEBHOOK_RETRY_DELAY", "DAGCTL_WEBHOOK_TIMEOUT",
    "DAGCTL_ALLOW_WEBHOOK_LINK_LOCAL", "DAGCTL_KEEP_DAYS", "DAGCTL_KEEP_RUNS", "DAGCTL_SANDBOX",
    "DAGCTL_SANDBOX_WRITABLE", "DAGCTL_PASS_ENV", "DAGCTL_WARM", "DAGCTL_WARM_IDLE", "DAGCTL_CONFIG",
};

class ConfigTest : public ::testing::Test {
protected:
  ConfigTest() {
    for (const char* name : kVariables) env_.unset(name);
    env_.set("XDG_STATE_HOME", "/home/ana/.state");
    env_.set("XDG_RUNTIME_DIR", "/run/user/1000");
    env_.set("XDG_CONFIG_HOME", dir_.file("config"));  // no dagctld.conf there: the tester's own stays out
  }

  // parse_config over "dagctld" followed by `args`: the config, or what it would exit with.
  static std::variant<Config, ConfigExit> outcome(std::vector<std::string> args) {
    args.insert(args.begin(), "dagctld");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return parse_config(static_cast<int>(args.size()), argv.data());
  }

  static Config parse(std::vector<std::string> args) {
    auto result = outcome(std::move(args));
    if (const auto* exit = std::get_if<ConfigExit>(&result)) {
      ADD_FAILURE() << "exit " << exit->code << ": " << exit->err;
      return Config{};
    }
    return std::get<Config>(result);
  }

  // What parse_config says on stderr when it refuses `args` with exit code 2.
  static std::string usage_error(std::vector<std::string> args) {
    auto result = outcome(std::move(args));
    const auto* exit = std::get_if<ConfigExit>(&result);
    if (!exit) {
      ADD_FAILURE() << "expected exit code 2";
      return "";
    }
    EXPECT_EQ(exit->code, 2) << exit->err;
    return exit->err;
  }

  // Writes `text` as a config file; returns its path.
  std::string config_file(const std::string& text, const std::string& name = "dagctld.conf") const {
    const std::string path = dir_.file(name);
    std::ofstream(path) << text;
    return path;
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

  dagctl::test::TempDir dir_;
  dagctl::test::EnvGuard env_;
};

TEST_F(ConfigTest, DefaultsWhenNothingIsSaid) {
  const Config c = parse({});
  EXPECT_EQ(c.data_dir, "/home/ana/.state/dagctl");
  EXPECT_EQ(c.socket_path, "/home/ana/.state/dagctl/dagctl.sock");  // in the data dir, whatever XDG_RUNTIME_DIR says
  EXPECT_EQ(c.listen, "127.0.0.1:" + std::to_string(kDefaultPort));
  EXPECT_EQ(kDefaultPort, 8780);
  EXPECT_FALSE(c.allow_remote);
  EXPECT_EQ(c.dbt, "dbt");
  EXPECT_GE(c.max_parallel, 1);
  EXPECT_EQ(c.sandbox, "auto");
  EXPECT_EQ(c.keep_days, 30);
  EXPECT_EQ(c.keep_runs, 1000);
  EXPECT_TRUE(c.pass_env.empty());
  EXPECT_EQ(c.warm, "on");
  EXPECT_EQ(c.warm_idle, std::chrono::seconds(300));
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

TEST_F(ConfigTest, AnotherSandboxValueIsBadUsage) {
  EXPECT_NE(usage_error({"--sandbox", "maybe"}).find("--sandbox"), std::string::npos);
}

TEST_F(ConfigTest, WarmIsOnOrOffFromAFlagAVariableOrTheFile) {
  EXPECT_EQ(parse({"--warm", "off"}).warm, "off");
  EXPECT_EQ(parse({"--warm=on"}).warm, "on");
  EXPECT_EQ(parse({"--config", config_file("warm = off\n")}).warm, "off");
  env_.set("DAGCTL_WARM", "off");
  const Config c = parse({});
  EXPECT_EQ(c.warm, "off");
  EXPECT_EQ(c.settings["warm"], "off");
  EXPECT_EQ(c.settings_from["warm"], "env");
}

TEST_F(ConfigTest, AnotherWarmValueIsBadUsageNamingTheFlag) {
  for (const char* bad : {"", "maybe", "ON", "true", "1", "on "}) {
    EXPECT_NE(usage_error({"--warm", bad}).find("--warm"), std::string::npos) << bad;
  }
  env_.set("DAGCTL_WARM", "maybe");
  EXPECT_NE(usage_error({}).find("warm"), std::string::npos);
}

TEST_F(ConfigTest, WarmIdleIsADurationOfSecondsOrWithAUnit) {
  using std::chrono::seconds;
  EXPECT_EQ(parse({"--warm-idle", "5m"}).warm_idle, seconds(300));
  EXPECT_EQ(parse({"--warm-idle", "90s"}).warm_idle, seconds(90));
  EXPECT_EQ(parse({"--warm-idle", "2h"}).warm_idle, seconds(7200));
  EXPECT_EQ(parse({"--warm-idle", "1d"}).warm_idle, seconds(86400));
  EXPECT_EQ(parse({"--warm-idle", "1s"}).warm_idle, seconds(1));
  EXPECT_EQ(parse({"--warm-idle=45"}).warm_idle, seconds(45));  // as settings.json gives it back
  EXPECT_EQ(parse({"--warm-idle", "7d"}).warm_idle, seconds(7 * 86400));
  EXPECT_EQ(parse({"--config", config_file("warm-idle = 10m\n")}).warm_idle, seconds(600));
  env_.set("DAGCTL_WARM_IDLE", "30s");
  const Config c = parse({});
  EXPECT_EQ(c.warm_idle, seconds(30));
  EXPECT_EQ(c.settings["warm-idle"], 30);
  EXPECT_EQ(c.settings_from["warm-idle"], "env");
}

TEST_F(ConfigTest, ABadWarmIdleIsBadUsageNamingTheFlag) {
  for (const char* bad : {"", "maybe", "-5s", "0", "0s", "0m", "1.5m", "5 m", "5M", "8d", "2w", "99999999999",
                          "99999999999999999999999", "9999999999999s", "5m5s"}) {
    const std::string err = usage_error({"--warm-idle", bad});
    EXPECT_NE(err.find("--warm-idle"), std::string::npos) << bad << ": " << err;
  }
  const std::string err = usage_error({"--config", config_file("\nwarm-idle = -5s\n")});
  EXPECT_NE(err.find(":2:"), std::string::npos) << err;
  EXPECT_NE(err.find("warm-idle"), std::string::npos) << err;
  env_.set("DAGCTL_WARM_IDLE", "0");
  EXPECT_NE(usage_error({}).find("warm-idle"), std::string::npos);
}

TEST_F(ConfigTest, AControlCharacterInTheFileIsRefused) {
  EXPECT_NE(usage_error({"--config", config_file(std::string("warm = on\0ff\n", 14))}).find(":1:"), std::string::npos);
  EXPECT_NE(usage_error({"--config", config_file("warm-idle = 5m\x01\n")}).find(":1:"), std::string::npos);
}

TEST_F(ConfigTest, WarmIdleParsesAlone) {
  using dagctl::daemon::app::parse_warm_idle;
  EXPECT_EQ(parse_warm_idle("300"), std::chrono::seconds(300));
  EXPECT_EQ(parse_warm_idle("604800"), std::chrono::seconds(604800));
  EXPECT_FALSE(parse_warm_idle("604801").has_value());
  EXPECT_FALSE(parse_warm_idle("+5").has_value());
  EXPECT_FALSE(parse_warm_idle(std::string("5\0", 2)).has_value());
}

TEST_F(ConfigTest, MaxParallelZeroIsBadUsage) {
  EXPECT_NE(usage_error({"--max-parallel", "0"}).find("--max-parallel"), std::string::npos);
}

TEST_F(ConfigTest, AnUnknownFlagIsBadUsage) {
  EXPECT_NE(usage_error({"--max-paralel", "2"}).find("max-paralel"), std::string::npos);
}

TEST_F(ConfigTest, ABadVariableIsBadUsageToo) {
  env_.set("DAGCTL_MAX_PARALLEL", "0");
  EXPECT_NE(usage_error({}).find("max-parallel"), std::string::npos);
}

TEST_F(ConfigTest, HelpAndVersionExitZero) {
  for (const char* flag : {"--help", "--version"}) {
    auto result = outcome({flag});
    const auto* exit = std::get_if<ConfigExit>(&result);
    ASSERT_NE(exit, nullptr) << flag;
    EXPECT_EQ(exit->code, 0) << flag;
    EXPECT_FALSE(exit->out.empty()) << flag;
  }
  auto help = outcome({"--help"});
  EXPECT_NE(std::get<ConfigExit>(help).out.find("--config"), std::string::npos);
}

// --- the config file (docs/daemon.md#the-config-file) -----------------------------------------

TEST_F(ConfigTest, TheDefaultConfigFileIsReadWhenItExists) {
  std::filesystem::create_directories(dir_.file("config/dagctl"));
  const std::string path = dir_.file("config/dagctl/dagctld.conf");
  std::ofstream(path) << "# where dbt lives\ndbt = /opt/dbt/bin/dbt\n\nmax-parallel = 3\nlisten = none\nsandbox = off\n";
  const Config c = parse({});
  EXPECT_EQ(c.dbt, "/opt/dbt/bin/dbt");
  EXPECT_EQ(c.max_parallel, 3);
  EXPECT_EQ(c.listen, "none");
  EXPECT_EQ(c.sandbox, "off");
  EXPECT_EQ(c.config_file, path);
  EXPECT_EQ(c.settings_from["dbt"], "config");
  EXPECT_EQ(c.settings_from["keep-days"], "default");
  EXPECT_EQ(c.settings["max-parallel"], 3);
}

TEST_F(ConfigTest, NoConfigFileIsFine) {
  const Config c = parse({});
  EXPECT_EQ(c.config_file, "");
  EXPECT_EQ(c.settings_from["dbt"], "default");
}

TEST_F(ConfigTest, AFlagBeatsAVariableBeatsTheConfigFile) {
  env_.set("DAGCTL_CONFIG", config_file("dbt = /from/file\nkeep-days = 7\nkeep-runs = 5\n"));
  env_.set("DAGCTL_KEEP_DAYS", "9");
  const Config c = parse({"--keep-runs", "11"});
  EXPECT_EQ(c.dbt, "/from/file");
  EXPECT_EQ(c.keep_days, 9);
  EXPECT_EQ(c.keep_runs, 11);
  EXPECT_EQ(c.settings_from["dbt"], "config");
  EXPECT_EQ(c.settings_from["keep-days"], "env");
  EXPECT_EQ(c.settings_from["keep-runs"], "flag");
  const Config with_equals = parse({"--keep-runs=12"});
  EXPECT_EQ(with_equals.settings_from["keep-runs"], "flag");
}

TEST_F(ConfigTest, ConfigFlagNamesTheFile) {
  const std::string path = config_file("data-dir = /srv/dagctl\n", "other.conf");
  const Config c = parse({"--config", path});
  EXPECT_EQ(c.data_dir, "/srv/dagctl");
  EXPECT_EQ(c.socket_path, "/srv/dagctl/dagctl.sock");
  EXPECT_EQ(c.config_file, path);
}

TEST_F(ConfigTest, ANamedConfigFileMustExist) {
  const std::string missing = dir_.file("missing.conf");
  EXPECT_NE(usage_error({"--config", missing}).find(missing), std::string::npos);
  env_.set("DAGCTL_CONFIG", missing);
  EXPECT_NE(usage_error({}).find(missing), std::string::npos);
}

TEST_F(ConfigTest, TheSocketAndDataDirComeFromTheFileToo) {
  env_.set("DAGCTL_CONFIG", config_file("socket = /run/x.sock\ndata-dir = /srv/d\n"));
  const Config c = parse({});
  EXPECT_EQ(c.socket_path, "/run/x.sock");
  EXPECT_EQ(c.data_dir, "/srv/d");
}

TEST_F(ConfigTest, AnUnknownKeyNamesTheFileAndLine) {
  const std::string path = config_file("dbt = dbt\nmax-paralel = 2\n");
  const std::string err = usage_error({"--config", path});
  EXPECT_NE(err.find(path + ":2:"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key 'max-paralel'"), std::string::npos) << err;
  for (const char* reserved : {"config = /x", "help = true", "version = true"}) {
    EXPECT_NE(usage_error({"--config", config_file(reserved)}).find("unknown key"), std::string::npos) << reserved;
  }
}

TEST_F(ConfigTest, ABadValueNamesTheFileLineAndKey) {
  const std::string path = config_file("\n# x\nmax-parallel = 0\n");
  const std::string err = usage_error({"--config", path});
  EXPECT_NE(err.find(path + ":3:"), std::string::npos) << err;
  EXPECT_NE(err.find("max-parallel"), std::string::npos) << err;
  EXPECT_NE(usage_error({"--config", config_file("sandbox = maybe\n")}).find(":1:"), std::string::npos);
  EXPECT_NE(usage_error({"--config", config_file("keep-days = many\n")}).find("keep-days"), std::string::npos);
  EXPECT_NE(usage_error({"--config", config_file("allow-remote = perhaps\n")}).find(":1:"), std::string::npos);
  EXPECT_NE(usage_error({"--config", config_file("no equals sign\n")}).find(":1:"), std::string::npos);
}

TEST_F(ConfigTest, ABadValueOverriddenByAFlagIsNotRead) {
  const std::string path = config_file("max-parallel = 0\n");
  EXPECT_EQ(parse({"--config", path, "--max-parallel", "2"}).max_parallel, 2);
}

TEST_F(ConfigTest, FlagsWithoutValueTakeTrueOrFalse) {
  EXPECT_TRUE(parse({"--config", config_file("allow-remote = true\n")}).allow_remote);
  EXPECT_FALSE(parse({"--config", config_file("allow-remote = false\n")}).allow_remote);
}

TEST_F(ConfigTest, AKeySetTwiceIsRefusedUnlessItRepeatsAsAFlag) {
  const std::string err = usage_error({"--config", config_file("dbt = a\ndbt = b\n")});
  EXPECT_NE(err.find(":2: dbt is already set on line 1"), std::string::npos) << err;
  const Config c = parse({"--config", config_file("pass-env = AWS_PROFILE\npass-env = PGPASSFILE\n")});
  EXPECT_EQ(c.pass_env, (std::vector<std::string>{"AWS_PROFILE", "PGPASSFILE"}));
}

TEST_F(ConfigTest, ValuesFromTheFileAreCheckedAsFlagsAre) {
  EXPECT_NE(refusal({"--config", config_file("pass-env = DAGCTL_TOKEN\n")}).find("secrets never reach dbt"), std::string::npos);
}

TEST_F(ConfigTest, ASocketPathTooLongForUnixNamesSocket) {
  const std::string message = refusal({"--data-dir", "/" + std::string(120, 'd')});
  EXPECT_NE(message.find("--socket"), std::string::npos) << message;
  EXPECT_NE(message.find("more than a Unix socket allows"), std::string::npos) << message;
}

// --- what GET /api/v1/daemon shows and settings.json remembers ---------------------------

TEST_F(ConfigTest, EverySettingHasAValueAndASource) {
  const Config c = parse({"--dbt", "/x/dbt"});
  EXPECT_EQ(c.settings.size(), c.settings_from.size());
  for (const auto& [name, from] : c.settings_from.items()) {
    EXPECT_TRUE(c.settings.contains(name)) << name;
  }
  EXPECT_FALSE(c.settings.contains("config"));
  EXPECT_FALSE(c.settings.contains("help"));
  EXPECT_EQ(c.settings["dbt"], "/x/dbt");
  EXPECT_EQ(c.settings["socket"], c.socket_path);
}

TEST_F(ConfigTest, RememberedSettingsAreThoseSaidSomewhereButWhereTheyLive) {
  env_.set("DAGCTL_MAX_PARALLEL", "2");
  env_.set("DAGCTL_CONFIG", config_file("keep-days = 5\n"));
  const Config c = parse({"--dbt", "/x/dbt", "--data-dir", "/srv/d", "--socket", "/srv/s.sock", "--pass-env", "A"});
  const auto r = dagctl::daemon::app::remembered_settings(c);
  EXPECT_EQ(r["settings"], (nlohmann::json{{"dbt", "/x/dbt"}, {"max-parallel", 2}, {"keep-days", 5}, {"pass-env", {"A"}}}));
  EXPECT_EQ(r["from"], (nlohmann::json{{"dbt", "flag"}, {"max-parallel", "env"}, {"keep-days", "config"}, {"pass-env", "flag"}}));
}

TEST_F(ConfigTest, WarmSettingsAreRememberedInSecondsAsTheFlagTakesThem) {
  const Config c = parse({"--warm", "off", "--warm-idle", "2m"});
  const auto r = dagctl::daemon::app::remembered_settings(c);
  EXPECT_EQ(r["settings"], (nlohmann::json{{"warm", "off"}, {"warm-idle", 120}}));
  EXPECT_EQ(parse({"--warm-idle", r["settings"]["warm-idle"].dump()}).warm_idle, std::chrono::seconds(120));
}

}  // namespace
