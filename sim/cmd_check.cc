// `kasim check FILE...`: run each scenario and check its `expect:` block
// (docs/expectations.md). Exit 0 when every assertion holds, 1 when any
// fails (or a scenario has none), 2 on bad input. `--junit FILE` also
// writes JUnit XML; `--update` rewrites the expectations from the run.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "kasim/expect.h"
#include "kasim/output_file.h"
#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace kasim::cmd {
namespace {

struct CheckArgs {
  std::vector<std::string> files;
  std::vector<std::string> sets;
  std::string junit;
  bool update = false;
  LimitArgs limits;
};

// One JUnit testcase.
struct CaseResult {
  std::string name;
  bool failed = false, error = false;
  std::string message, text;
};
struct SuiteResult {
  std::string file, scenario;
  std::vector<CaseResult> cases;
};

bool read_text(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

// x.yaml -> x.expected.yaml: where --update writes expectations it cannot
// put into the scenario file itself, and where check looks for them first.
std::string sibling_path(const std::string& file) {
  std::string base = file;
  if (base.ends_with(".yaml")) base.resize(base.size() - 5);
  else if (base.ends_with(".yml")) base.resize(base.size() - 4);
  return base + ".expected.yaml";
}

bool write_atomically(const std::string& path, const std::string& text, std::string* why) {
  OutputFile f;
  if (!f.open(path, why)) return false;
  std::fwrite(text.data(), 1, text.size(), f.stream());
  return f.commit(why);
}

std::string xml_escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no other control characters.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

std::string junit_xml(const std::vector<SuiteResult>& suites) {
  size_t tests = 0, failures = 0, errors = 0;
  for (const SuiteResult& s : suites)
    for (const CaseResult& c : s.cases) {
      ++tests;
      failures += c.failed ? 1 : 0;
      errors += c.error ? 1 : 0;
    }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"kasim check\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", tests,
                     failures, errors);
  for (const SuiteResult& s : suites) {
    size_t f = 0, e = 0;
    for (const CaseResult& c : s.cases) {
      f += c.failed ? 1 : 0;
      e += c.error ? 1 : 0;
    }
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"0\">\n",
                       xml_escape(s.file), s.cases.size(), f, e);
    for (const CaseResult& c : s.cases) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", xml_escape(s.scenario),
                         xml_escape(c.name));
      if (!c.failed && !c.error) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      out += fmt::format("      <{} message=\"{}\">{}</{}>\n", c.error ? "error" : "failure", xml_escape(c.message),
                         xml_escape(c.text), c.error ? "error" : "failure");
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

class Checker {
 public:
  Checker(const CheckArgs& a, std::vector<Override> overrides, std::FILE* out, std::FILE* err)
      : a_(a), limits_(a.limits.limits()), overrides_(std::move(overrides)), out_(out), err_(err) {}

  // Returns this file's exit code.
  int file(const std::string& path) {
    SuiteResult& suite = suites_.emplace_back();
    suite.file = path;
    suite.scenario = path;
    auto bad_input = [&](const std::string& message) {
      fmt::print(err_, "{}\n", message);
      suite.cases.push_back(CaseResult{"load", false, true, message, message});
      return 2;
    };
    std::string text;
    if (!read_text(path, &text)) return bad_input(fmt::format("{}: cannot read the file (does it exist?)", path));
    LoadResult lr = load_scenario(text, path, overrides_, limits_.max_memory);
    if (!lr.scenario) return bad_input(lr.error.to_string());
    const Scenario& s = *lr.scenario;
    suite.scenario = s.name;

    // Expectations: FILE.expected.yaml when present (written by --update
    // for files it could not rewrite), else the scenario's own block.
    Expectations expect = s.expect;
    std::string expect_file = path;
    std::string side = sibling_path(path);
    bool from_sibling = std::filesystem::exists(side);
    if (from_sibling) {
      std::string side_text;
      if (!read_text(side, &side_text)) return bad_input(fmt::format("{}: cannot read the file", side));
      ExpectLoadResult er = load_expectations_text(side_text, side, s);
      if (!er.expect) return bad_input(er.error.to_string());
      expect = *er.expect;
      expect_file = side;
    }

    MemorySink run;
    Simulator sim(s, limits_);
    RunResult rr = sim.run(run);
    if (rr.stopped_by_limit) {
      std::string msg = fmt::format("{}: {}", path, rr.error);
      fmt::print(out_, "FAIL {}\n", msg);
      suite.cases.push_back(CaseResult{"run", true, false, rr.error, msg});
      return 1;
    }
    if (a_.update) return update(path, text, s, expect, from_sibling, run);

    if (!expect.present) {
      std::string msg = fmt::format("no expectations (create them with `kasim check --update {}`)", path);
      fmt::print(out_, "FAIL {}: {}\n", path, msg);
      suite.cases.push_back(CaseResult{"expectations", true, false, msg, msg});
      return 1;
    }
    std::vector<AssertionResult> results = evaluate_expectations(s, expect, run);
    size_t failed = 0;
    for (const AssertionResult& r : results) {
      CaseResult c{r.name, !r.passed, false, "", ""};
      if (!r.passed) {
        ++failed;
        std::string report = format_failure(expect_file, r);
        fmt::print(out_, "{}", report);
        c.message = fmt::format("expected {}, got {}", r.expected, r.actual);
        c.text = report;
      }
      suite.cases.push_back(std::move(c));
    }
    if (failed == 0) {
      fmt::print(out_, "ok   {}: {} hold\n", path, plural(results.size(), "assertion"));
      return 0;
    }
    fmt::print(out_, "FAIL {}: {} of {} failed\n", path, failed, plural(results.size(), "assertion"));
    return 1;
  }

  // --junit: the report file is opened (as a temporary beside it) before
  // any scenario runs, so an unwritable path is bad input reported up front
  // rather than after the results were printed.
  bool open_junit() {
    if (a_.junit.empty()) return true;
    std::string why;
    if (!junit_.open(a_.junit, &why)) {
      fmt::print(err_, "{}: cannot write the JUnit report: {}\n", a_.junit, why);
      return false;
    }
    return true;
  }

  bool write_junit() {
    if (a_.junit.empty()) return true;
    std::string xml = junit_xml(suites_);
    std::fwrite(xml.data(), 1, xml.size(), junit_.stream());
    std::string why;
    if (!junit_.commit(&why)) {
      fmt::print(err_, "{}: cannot write the JUnit report: {}\n", a_.junit, why);
      return false;
    }
    return true;
  }

 private:
  static std::string plural(size_t n, std::string_view w) { return fmt::format("{} {}{}", n, w, n == 1 ? "" : "s"); }

  int update(const std::string& path, const std::string& text, const Scenario& s, const Expectations& old,
             bool from_sibling, const MemorySink& run) {
    Expectations fresh = old.present ? updated_expectations(s, old, run) : default_expectations(s, run);
    std::string block = format_expect_block(s, fresh);
    std::string why;
    if (!from_sibling) {
      std::optional<std::string> rewritten = replace_expect_block(text, old, block, &why);
      if (rewritten) {
        // Proof before writing: the new file loads and its expectations hold.
        LoadResult again = load_scenario(*rewritten, path, {}, limits_.max_memory);
        if (!again.scenario) why = "the rewritten file would not load (" + again.error.to_string() + ")";
        else if (!again.scenario->expect.present) why = "the rewritten file has no expect block";
        else return commit(path, *rewritten, *again.scenario, again.scenario->expect, run, old.present);
      }
    }
    // Fall back to (or keep using) FILE.expected.yaml.
    std::string side = sibling_path(path);
    std::string side_text = fmt::format("# Expectations for {}, written by `kasim check --update`.\n", path);
    if (!from_sibling)
      side_text += fmt::format("# kasim could not rewrite the scenario in place: {}.\n"
                               "# `kasim check` reads this file; move the block into the scenario by hand to retire it.\n",
                               why);
    side_text += block;
    ExpectLoadResult er = load_expectations_text(side_text, side, s);
    if (!er.expect) {
      fmt::print(err_, "{}: internal error: the regenerated expectations do not load: {}\n", path,
                 er.error.to_string());
      return 1;
    }
    if (!from_sibling) fmt::print(out_, "{}: cannot rewrite it in place ({}); writing {} instead\n", path, why, side);
    return commit(side, side_text, s, *er.expect, run, from_sibling);
  }

  int commit(const std::string& target, const std::string& text, const Scenario& s, const Expectations& e,
             const MemorySink& run, bool existed) {
    size_t failed = 0;
    for (const AssertionResult& r : evaluate_expectations(s, e, run)) failed += r.passed ? 0 : 1;
    if (failed > 0) {
      fmt::print(err_, "{}: internal error: {} regenerated assertions do not hold; nothing written\n", target, failed);
      return 1;
    }
    std::string why;
    if (!write_atomically(target, text, &why)) {
      fmt::print(err_, "{}: cannot write: {}\n", target, why);
      return 2;
    }
    fmt::print(out_, "{} {}: {}\n", existed ? "updated" : "created", target, plural(e.size(), "assertion"));
    return 0;
  }

  const CheckArgs& a_;
  RunLimits limits_;
  std::vector<Override> overrides_;
  std::FILE* out_;
  std::FILE* err_;
  std::vector<SuiteResult> suites_;
  OutputFile junit_;
};

int check(const CheckArgs& a, std::FILE* out, std::FILE* err) {
  std::vector<Override> overrides;
  for (const std::string& s : a.sets) {
    std::string why;
    std::optional<Override> o = parse_override(s, &why);
    if (!o) {
      fmt::print(err, "kasim check: {}\n", why);
      return 2;
    }
    overrides.push_back(*o);
  }
  if (a.update && !overrides.empty()) {
    fmt::print(err, "kasim check: --update cannot be combined with --set (it would record the overridden run)\n");
    return 2;
  }
  Checker checker(a, std::move(overrides), out, err);
  if (!checker.open_junit()) return 2;
  int code = 0;
  for (const std::string& f : a.files) code = std::max(code, checker.file(f));
  if (!checker.write_junit()) code = 2;
  return code;
}

}  // namespace

Registration add_check(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* c = app.add_subcommand("check", "Run scenarios and check their expect: blocks (exit 0 all hold, 1 any fails, 2 bad input)");
  c->add_option("files", args->files, "Scenario YAML files")->required();
  c->add_option("--junit", args->junit, "Also write a JUnit XML report to this file (atomically)");
  c->add_flag("--update", args->update,
              "Rewrite each file's expectations from the current run (creating them if absent); the rest of the file "
              "is kept as it is");
  c->add_option("--set", args->sets, "Override a scenario key, KEY=VALUE (repeatable), as in `kasim run --set`")
      ->allow_extra_args(false);
  add_limit_options(c, args->limits);
  return {c, [args](std::FILE* out, std::FILE* err) { return check(*args, out, err); }};
}

}  // namespace kasim::cmd
