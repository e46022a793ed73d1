// tl-lsp: the TensorLogic language server (LSP 3.17 over stdio).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "lsp/analyzers.h"
#include "lsp/checked_analysis.h"
#include "lsp/stdio_loop.h"

int main(int argc, char** argv) {
  tl::lsp::ServerOptions options;
  // Codes link to the docs of the tree this binary was built from, while it is there.
  if (std::error_code ec; std::filesystem::is_directory(TL_DOCS_DIR, ec))
    options.docs_url = tl::lsp::path_to_uri(TL_DOCS_DIR) + "/";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::puts(
          "Usage: tl-lsp [--stdio] [--debounce-ms=N] [--no-lint] [--quiet]\n"
          "The TensorLogic language server: LSP 3.17 (JSON-RPC over stdin/stdout).\n"
          "  --stdio          talk over stdin/stdout (the default and only transport)\n"
          "  --debounce-ms=N  wait N ms after the last edit before analysing (default 150)\n"
          "  --no-lint        do not publish lint findings until the client's settings\n"
          "                   (initializationOptions or didChangeConfiguration: lint) ask\n"
          "  --quiet          no log lines on stderr\n"
          "  --docs-url=URL   where diagnostics' codes link to (default: this build's docs/)\n"
          "  --version        print the version");
      return 0;
    }
    if (a == "--version") {
      std::printf("tl-lsp %s\n", TL_VERSION);
      return 0;
    }
    if (a == "--stdio") continue;
    if (a.rfind("--docs-url=", 0) == 0) {
      options.docs_url = a.substr(11);
      if (!options.docs_url.empty() && options.docs_url.back() != '/') options.docs_url += '/';
      continue;
    }
    if (a == "--no-lint") {
      options.settings.lint = false;
      continue;
    }
    if (a == "--quiet") {
      options.log = nullptr;
      continue;
    }
    if (a.rfind("--debounce-ms=", 0) == 0) {
      try {
        options.debounce = std::chrono::milliseconds(std::stoul(a.substr(14)));
        continue;
      } catch (const std::exception&) {
      }
    }
    std::fprintf(stderr, "tl-lsp: error: unknown option '%s' (see --help)\n", argv[i]);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a vanished client shows as a failed write, not a kill
  return tl::lsp::run_server(0, 1, tl::lsp::make_default_analyzer(), options);
}
