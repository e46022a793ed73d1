// The LSP server proper: lifecycle, document store, debounced analysis, request handlers.
// It consumes parsed JSON-RPC messages (see message_queue.h for how they arrive) and writes
// responses and notifications to an Output; the language itself lives behind the Analyzer.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lsp/analysis.h"
#include "lsp/debouncer.h"
#include "lsp/message.h"
#include "lsp/text_document.h"

namespace tl::lsp {

struct ServerOptions {
  std::chrono::milliseconds debounce{150};
  // Analyse and publish inside didOpen/didChange (tests, the fuzzer): no worker thread timing.
  bool synchronous_analysis = false;
  std::FILE* log = stderr;  // may be null
  // Until the client's initializationOptions or workspace/didChangeConfiguration say otherwise.
  AnalysisSettings settings;
  // Base of codeDescription links ("file:///usr/share/doc/tl/" or "https://.../docs/"), ending
  // in '/'; empty: no links. initializationOptions.docsUrl overrides it.
  std::string docs_url;
};

class Server {
 public:
  Server(Output& out, std::unique_ptr<Analyzer> analyzer, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Handles one message that passed accept_body(): a request or a notification.
  void handle(const nlohmann::json& message);

  bool exit_requested() const { return exit_requested_; }
  // The process exit code: 0 after shutdown + exit, 1 otherwise (LSP "exit").
  int exit_code() const { return state_ == State::kShutdown ? 0 : 1; }
  PositionEncoding encoding() const { return encoding_; }

 private:
  enum class State { kUninitialized, kRunning, kShutdown };
  struct Analyzed {
    std::shared_ptr<const TextDocument> doc;
    std::shared_ptr<const Analysis> analysis;
    // The files it imported, with the open buffer's text it read (null: read from disk); the
    // analysis is stale when one of them is opened, edited or closed.
    std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> deps;
  };
  struct Entry {
    std::shared_ptr<const TextDocument> doc;
    std::string path;  // canonical file system path (empty for other schemes)
    Analyzed cache;    // the newest analysis, possibly of an older version
  };
  // What the client said it supports in `initialize`.
  struct ClientCapabilities {
    bool hover_markdown = true;
    bool completion_markdown = true;
    bool signature_markdown = true;
    bool prepare_rename = false;
    bool pull_diagnostics = false;
    bool diagnostic_refresh = false;
  };
  struct TokenResult {
    std::string id;
    std::vector<uint32_t> data;
  };

  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params, bool is_request);
  nlohmann::json initialize(const nlohmann::json& params);
  void did_open(const nlohmann::json& params);
  void did_change(const nlohmann::json& params);
  void did_close(const nlohmann::json& params);

  // The analysis of the document's current version (analysed now if the cache is older).
  Analyzed current(const std::string& uri);
  // Under mu_: is `a` still right for `entry` (same text, same imported buffers)?
  bool fresh(const Entry& entry, const Analyzed& a) const;
  Analyzed analyze(const std::string& uri, std::shared_ptr<const TextDocument> doc);
  // Every open document's analysis, and the file at `path` from disk when it is not open.
  std::vector<std::pair<std::string, Analyzed>> workspace_analyses(const std::string& path);
  // References (with the declaration) of the symbol at `offset` in every open document and in
  // the file declaring it; local names stay in their document. nullopt: nothing there.
  std::optional<std::vector<std::pair<std::string, Location>>> occurrences(
      const std::string& uri, const Analyzed& a, size_t offset, bool include_declaration);
  nlohmann::json references(const nlohmann::json& params);
  nlohmann::json rename(const nlohmann::json& params);
  nlohmann::json prepare_rename(const nlohmann::json& params);
  nlohmann::json document_highlight(const nlohmann::json& params);
  nlohmann::json workspace_symbol(const nlohmann::json& params);
  nlohmann::json semantic_tokens(const nlohmann::json& params, const std::string& method);
  nlohmann::json formatting(const nlohmann::json& params, bool range_only);
  nlohmann::json selection_range(const nlohmann::json& params);
  nlohmann::json document_link(const nlohmann::json& params);
  nlohmann::json pull_diagnostics(const nlohmann::json& params);
  nlohmann::json markup(const std::string& markdown, bool client_takes_markdown) const;
  std::vector<uint32_t> encode_tokens(const TextDocument& doc, std::vector<SemanticToken> tokens,
                                      TextRange within) const;
  // Debounced / synchronous analysis + publishDiagnostics, dropped when a newer version exists.
  void analyze_and_publish(const std::string& uri);
  void document_changed(const std::string& uri);
  void recheck_all();  // workspace/didChangeWatchedFiles
  bool apply_settings(const nlohmann::json& options, const char* where);
  // `programArgs`: {path: [word, ...]}; nullopt when its shape is wrong (logged).
  std::optional<std::map<std::string, std::vector<std::string>>> program_args_setting(
      const nlohmann::json& value, const char* where) const;
  void did_change_configuration(const nlohmann::json& params);
  void log(const std::string& line) const;

  nlohmann::json range_json(const TextDocument& doc, TextRange r) const;
  void append_range(std::string& out, const TextDocument& doc, TextRange r) const;
  nlohmann::json diagnostic_json(const std::string& uri, const TextDocument& doc,
                                 const Diagnostic& d);
  nlohmann::json diagnostics_json(const std::string& uri, const Analyzed& a);
  TextRange range_param(const TextDocument& doc, const nlohmann::json& range) const;
  nlohmann::json location_json(const std::string& uri, const TextDocument& doc,
                               const Location& loc);
  size_t offset_param(const TextDocument& doc, const nlohmann::json& params) const;

  Output& out_;
  std::unique_ptr<Analyzer> analyzer_;
  ServerOptions options_;
  State state_ = State::kUninitialized;
  bool exit_requested_ = false;
  PositionEncoding encoding_ = PositionEncoding::kUtf16;
  ClientCapabilities client_;
  // A result a handler wrote as JSON text (documentSymbol, semantic tokens: large, and a json
  // tree of them costs more than computing them); sent instead of dispatch()'s value.
  std::optional<std::string> raw_result_;
  std::string docs_url_;

  std::mutex mu_;  // guards docs_ and settings_ (the request thread and the analysis worker)
  std::map<std::string, Entry> docs_;
  AnalysisSettings settings_;
  // The programArgs setting: each document's program arguments, by lexically normal absolute
  // path (relative keys are taken from root_, the workspace root, or the working directory).
  std::map<std::string, std::vector<std::string>> program_args_;
  std::string root_;
  std::map<std::string, TokenResult> tokens_;  // the last semantic tokens sent, by uri
  uint64_t next_result_id_ = 1;
  std::unique_ptr<Debouncer> debouncer_;  // last: stopped and joined before the state it uses
};

}  // namespace tl::lsp
