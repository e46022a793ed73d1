// The LSP server proper: lifecycle, document store, debounced analysis, request handlers.
// It consumes parsed JSON-RPC messages (see message_queue.h for how they arrive) and writes
// responses and notifications to an Output; the language itself lives behind the Analyzer.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
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
  };
  struct Entry {
    std::shared_ptr<const TextDocument> doc;
    Analyzed cache;  // the newest analysis, possibly of an older version
  };

  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params, bool is_request);
  nlohmann::json initialize(const nlohmann::json& params);
  void did_open(const nlohmann::json& params);
  void did_change(const nlohmann::json& params);
  void did_close(const nlohmann::json& params);

  // The analysis of the document's current version (analysed now if the cache is older).
  Analyzed current(const std::string& uri);
  // Debounced / synchronous analysis + publishDiagnostics, dropped when a newer version exists.
  void analyze_and_publish(const std::string& uri);
  void document_changed(const std::string& uri);
  void recheck_all();  // workspace/didChangeWatchedFiles
  bool apply_settings(const nlohmann::json& options, const char* where);
  void did_change_configuration(const nlohmann::json& params);
  void log(const std::string& line) const;

  nlohmann::json range_json(const TextDocument& doc, TextRange r) const;
  nlohmann::json diagnostic_json(const std::string& uri, const TextDocument& doc,
                                 const Diagnostic& d);
  nlohmann::json location_json(const std::string& uri, const TextDocument& doc,
                               const Location& loc);
  size_t offset_param(const TextDocument& doc, const nlohmann::json& params) const;

  Output& out_;
  std::unique_ptr<Analyzer> analyzer_;
  ServerOptions options_;
  State state_ = State::kUninitialized;
  bool exit_requested_ = false;
  PositionEncoding encoding_ = PositionEncoding::kUtf16;

  std::mutex mu_;  // guards docs_ and settings_ (the request thread and the analysis worker)
  std::map<std::string, Entry> docs_;
  AnalysisSettings settings_;
  std::unique_ptr<Debouncer> debouncer_;  // last: stopped and joined before the state it uses
};

}  // namespace tl::lsp
