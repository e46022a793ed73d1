// `tl lint [--format=text|json] FILE...`: likely mistakes and non-canonical spellings
// (formatter/lint.h; every rule in docs/lint.md). Exit 1 when any finding or error remains.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "formatter/lint.h"

namespace tl::cli {

int cmd_lint(const Args& args) {
  po::options_description options("options");
  options.add_options()("format", po::value<std::string>()->default_value("text"),
                        "findings as 'text' (stderr) or 'json' (one array on stdout)")(
      "files", po::value<std::vector<std::string>>(), "the .tl files ('-': standard input)");
  po::positional_options_description positional;
  positional.add("files", -1);
  po::variables_map vm;
  if (auto stop = parse("lint", "tl lint [--format=text|json] FILE...",
                        "Reports likely mistakes in .tl files (rules: docs/lint.md). A finding is\n"
                        "silenced by '// tl-lint: allow(RULE)' on its line or on the statement\n"
                        "that contains it. Exit 1 when any finding or syntax error remains.",
                        options, positional, args, vm))
    return *stop;
  auto json = json_format("lint", vm["format"].as<std::string>());
  if (!json) return kExitUsage;
  if (!vm.count("files")) return usage_error("lint", "no input files");

  SourceManager sources;
  sema::AnalysisContext context(sources);
  std::vector<Diagnostic> all;
  bool unreadable = false;
  for (const std::string& path : vm["files"].as<std::vector<std::string>>()) {
    std::shared_ptr<const SourceFile> file;
    if (path == "-") {
      std::string why;
      auto text = read_source_text(std::cin, &why);
      if (!text) {
        std::cerr << fmt::format("tl lint: error: <stdin>: {}\n", why);
        unreadable = true;
        continue;
      }
      file = sources.add("<stdin>", std::move(*text));
    } else {
      std::string why;
      file = sources.load(path, &why);
      if (!file) {
        std::cerr << fmt::format("tl lint: error: {}: {}\n", path, why);
        unreadable = true;
        continue;
      }
    }
    auto tree = parse(file);
    all.insert(all.end(), tree->diagnostics().begin(), tree->diagnostics().end());
    // The checker's symbol table drives the scope rules; its own errors are `tl check`'s to show.
    std::unique_ptr<sema::Analysis> analysis;
    if (!tree->has_errors()) analysis = sema::analyze(*tree, context);
    std::vector<Diagnostic> found = lint::lint(*tree, analysis.get(), &sources);
    all.insert(all.end(), found.begin(), found.end());
  }
  if (*json) {
    nlohmann::json arr = render_json(all, sources);
    for (size_t i = 0; i < all.size(); ++i)
      arr[i]["rule"] = std::string(diag_info(all[i].code).name);
    std::cout << arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    bool color = isatty(2) != 0;
    for (const Diagnostic& d : all) std::cerr << render_text(d, sources, color);
  }
  if (unreadable) return kExitUsage;
  return all.empty() ? kExitOk : kExitInputError;
}

}  // namespace tl::cli
