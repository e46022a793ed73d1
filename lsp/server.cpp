#include "lsp/server.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <iterator>

#include "formatter/format.h"
#include "lsp/checked_analysis.h"
#include "lsp/message_queue.h"
#include "lsp/protocol.h"

namespace tl::lsp {

using nlohmann::json;

namespace {

const json& field(const json& j, const char* name) {
  if (!j.is_object()) throw RpcError(ErrorCode::kInvalidParams, "params must be an object");
  auto it = j.find(name);
  if (it == j.end()) throw RpcError(ErrorCode::kInvalidParams, fmt::format("missing '{}'", name));
  return *it;
}

std::string uri_param(const json& params) {
  const json& uri = field(field(params, "textDocument"), "uri");
  if (!uri.is_string())
    throw RpcError(ErrorCode::kInvalidParams, "textDocument.uri must be a string");
  return uri.get<std::string>();
}

int64_t int_field(const json& j, const char* name) {
  const json& v = field(j, name);
  if (v.is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return v.get<int64_t>();
  throw RpcError(ErrorCode::kInvalidParams, fmt::format("'{}' must be an integer", name));
}

Position position_param(const json& p) {
  return {int_field(p, "line"), int_field(p, "character")};
}

// Markdown as plain text for clients that do not render it: code fences dropped, inline code
// and emphasis markers removed.
std::string plain_text(std::string_view md) {
  std::string out;
  size_t i = 0;
  while (i < md.size()) {
    size_t nl = md.find('\n', i);
    std::string_view line = md.substr(i, nl == md.npos ? md.npos : nl - i);
    i = nl == md.npos ? md.size() : nl + 1;
    if (line.rfind("```", 0) == 0) continue;
    for (char c : line)
      if (c != '`' && c != '*') out.push_back(c);
    out.push_back('\n');
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// MarkupKind lists of the client ("contentFormat", "documentationFormat"): markdown unless the
// client lists kinds and markdown is not among them.
bool takes_markdown(const json& caps, std::initializer_list<const char*> path) {
  const json* j = &caps;
  for (const char* key : path) {
    if (!j->is_object()) return true;
    auto it = j->find(key);
    if (it == j->end()) return true;
    j = &*it;
  }
  if (!j->is_array() || j->empty()) return true;
  for (const auto& k : *j)
    if (k == "markdown") return true;
  return false;
}

const json* find_path(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

bool flag(const json& j, std::initializer_list<const char*> path) {
  const json* v = find_path(j, path);
  return v && v->is_boolean() && v->get<bool>();
}

std::string canonical_path(const std::string& uri) {
  std::string path = uri_to_path(uri);
  if (path.empty()) return path;
  std::error_code ec;
  std::string c = std::filesystem::weakly_canonical(path, ec).string();
  return ec ? path : c;
}

// Subsequence match, case-insensitive: "fwd" finds "forward" (what editors' symbol pickers do).
bool fuzzy_match(std::string_view query, std::string_view name) {
  size_t i = 0;
  for (char c : name)
    if (i < query.size() && std::tolower(static_cast<unsigned char>(c)) ==
                                std::tolower(static_cast<unsigned char>(query[i])))
      ++i;
  return i == query.size();
}

// A JSON string literal; text that is not valid UTF-8 goes through nlohmann's replacement.
void append_json_string(std::string& out, std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) {
      out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// CodeActionContext.only: the kinds the client wants (a kind covers its sub-kinds: "source"
// takes "source.fixAll.tl"); absent or malformed, every kind.
bool kind_wanted(const json& params, const std::string& kind) {
  auto ctx = params.find("context");
  if (ctx == params.end() || !ctx->is_object()) return true;
  auto only = ctx->find("only");
  if (only == ctx->end() || !only->is_array()) return true;
  for (const auto& k : *only)
    if (k.is_string()) {
      const auto& want = k.get_ref<const std::string&>();
      if (kind == want || kind.rfind(want + ".", 0) == 0) return true;
    }
  return false;
}

}  // namespace

Server::Server(Output& out, std::unique_ptr<Analyzer> analyzer, ServerOptions options)
    : out_(out), analyzer_(std::move(analyzer)), options_(options), settings_(options.settings) {
  if (!options_.synchronous_analysis)
    debouncer_ = std::make_unique<Debouncer>(
        options_.debounce, [this](const std::string& uri) { analyze_and_publish(uri); });
}

Server::~Server() {
  debouncer_.reset();
}

void Server::log(const std::string& line) const {
  if (options_.log) fmt::print(options_.log, "tl-lsp: {}\n", line);
}

void Server::handle(const json& message) {
  const std::string method = message.at("method").get<std::string>();
  auto id_it = message.find("id");
  const bool is_request = id_it != message.end();
  const json id = is_request ? *id_it : json();
  const json no_params = json::object();
  // `"params": null` (eglot's shutdown, lsp-mode's exit) means no params, as if absent.
  auto params_it = message.find("params");
  const json& params = params_it != message.end() && !params_it->is_null() ? *params_it : no_params;

  auto reply_error = [&](ErrorCode code, const std::string& text) {
    if (is_request)
      out_.send(error_response(id, code, text));
    else
      log(fmt::format("{}: {}", method, text));
  };

  if (method == "exit") {
    exit_requested_ = true;
    return;
  }
  if (state_ == State::kUninitialized && method != "initialize") {
    if (is_request) reply_error(ErrorCode::kServerNotInitialized, "server not initialized");
    return;  // notifications before initialize are dropped
  }
  if (state_ == State::kShutdown) {
    reply_error(ErrorCode::kInvalidRequest, "server is shut down");
    return;
  }
  try {
    raw_result_.reset();
    json result = dispatch(method, params, is_request);
    if (is_request && raw_result_) {
      std::string body = R"({"jsonrpc":"2.0","id":)" +
                         id.dump(-1, ' ', false, json::error_handler_t::replace) + R"(,"result":)";
      body += *raw_result_;
      body += '}';
      out_.send_body(frame_body(body));
    } else if (is_request) {
      json response = {{"jsonrpc", "2.0"}, {"id", id}};
      response["result"] = std::move(result);  // results can be large (semantic tokens): no copy
      out_.send(response);
    }
  } catch (const RpcError& e) {
    reply_error(e.code, e.what());
  } catch (const json::exception& e) {
    reply_error(ErrorCode::kInvalidParams, e.what());
  } catch (const std::exception& e) {
    reply_error(ErrorCode::kInternalError, e.what());
  }
}

json Server::dispatch(const std::string& method, const json& params, bool is_request) {
  if (method == "initialize") {
    if (!is_request) throw RpcError(ErrorCode::kInvalidRequest, "initialize must be a request");
    if (state_ != State::kUninitialized)
      throw RpcError(ErrorCode::kInvalidRequest, "initialize sent twice");
    json result = initialize(params);
    state_ = State::kRunning;
    return result;
  }
  if (method == "initialized") return nullptr;
  if (method == "shutdown") {
    state_ = State::kShutdown;
    debouncer_.reset();  // no more publishing
    return nullptr;
  }
  if (method == "textDocument/didOpen") return did_open(params), nullptr;
  if (method == "textDocument/didChange") return did_change(params), nullptr;
  if (method == "textDocument/didClose") return did_close(params), nullptr;
  if (method == "textDocument/didSave") return nullptr;
  // A model or an imported file changed on disk: every open document is checked again (the
  // header cache re-reads what changed by size and mtime).
  if (method == "workspace/didChangeWatchedFiles") return recheck_all(), nullptr;
  if (method == "workspace/didChangeConfiguration")
    return did_change_configuration(params), nullptr;

  if (!is_request) {
    if (method.rfind("$/", 0) != 0) log(fmt::format("ignoring notification {}", method));
    return nullptr;
  }

  const Features f = analyzer_->features();
  auto unsupported = [&] {
    throw RpcError(ErrorCode::kMethodNotFound, "method not found: " + method);
  };

  if (method == "textDocument/hover") {
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    auto h = a.analysis->hover(offset_param(*a.doc, params));
    if (!h) return nullptr;
    return {{"contents", markup(h->markdown, client_.hover_markdown)},
            {"range", range_json(*a.doc, h->range)}};
  }
  if (method == "textDocument/completion") {
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    json items = json::array();
    for (const auto& c : a.analysis->completion(offset_param(*a.doc, params))) {
      json item = {{"label", c.label}, {"kind", static_cast<int>(c.kind)}};
      if (c.replace)
        item["textEdit"] = {{"range", range_json(*a.doc, *c.replace)}, {"newText", c.label}};
      if (!c.detail.empty()) item["detail"] = c.detail;
      if (!c.documentation.empty())
        item["documentation"] = markup(c.documentation, client_.completion_markdown);
      items.push_back(std::move(item));
    }
    return {{"isIncomplete", false}, {"items", std::move(items)}};
  }
  if (method == "textDocument/documentSymbol") {
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    std::string out = "[";
    std::function<void(const DocumentSymbol&)> write = [&](const DocumentSymbol& s) {
      out += R"({"name":)";
      append_json_string(out, s.name.empty() ? std::string_view("?") : s.name);
      fmt::format_to(std::back_inserter(out), R"(,"kind":{},"range":)", static_cast<int>(s.kind));
      append_range(out, *a.doc, s.range);
      out += R"(,"selectionRange":)";
      append_range(out, *a.doc, s.selection);
      if (!s.detail.empty()) {
        out += R"(,"detail":)";
        append_json_string(out, s.detail);
      }
      if (!s.children.empty()) {
        out += R"(,"children":[)";
        for (size_t i = 0; i < s.children.size(); ++i) {
          if (i) out += ',';
          write(s.children[i]);
        }
        out += ']';
      }
      out += '}';
    };
    auto symbols = a.analysis->symbols();
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (i) out += ',';
      write(symbols[i]);
    }
    out += ']';
    raw_result_ = std::move(out);
    return nullptr;
  }
  if (method.rfind("textDocument/semanticTokens/", 0) == 0) return semantic_tokens(params, method);
  if (method == "textDocument/foldingRange") {
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    json out = json::array();
    for (const auto& r : a.analysis->folding_ranges()) {
      size_t l0 = a.doc->line_of(std::min(r.range.begin, a.doc->text().size()));
      size_t l1 = a.doc->line_of(std::min(r.range.end, a.doc->text().size()));
      if (l1 <= l0) continue;
      json j = {{"startLine", l0}, {"endLine", l1}};
      if (!r.kind.empty()) j["kind"] = r.kind;
      out.push_back(std::move(j));
    }
    return out;
  }
  if (method == "textDocument/selectionRange") return selection_range(params);
  if (method == "textDocument/documentLink") return document_link(params);
  if (method == "workspace/symbol") return workspace_symbol(params);
  if (method == "textDocument/signatureHelp") {
    if (!f.signature_help) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    auto s = a.analysis->signature_help(offset_param(*a.doc, params));
    if (!s) return nullptr;
    json ps = json::array();
    for (auto r : s->parameters)
      ps.push_back({{"label", s->label.substr(std::min(r.begin, s->label.size()),
                                              r.end > r.begin ? r.end - r.begin : 0)}});
    json sig = {{"label", s->label}, {"parameters", ps}};
    // No documentation at all rather than an empty object: clients draw an empty box for it.
    if (!s->documentation.empty())
      sig["documentation"] = markup(s->documentation, client_.signature_markdown);
    return {{"signatures", json::array({sig})},
            {"activeSignature", 0},
            {"activeParameter", s->active_parameter}};
  }
  if (method == "textDocument/definition") {
    if (!f.definition) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    json out = json::array();
    for (const auto& l : a.analysis->definition(offset_param(*a.doc, params)))
      out.push_back(location_json(uri, *a.doc, l));
    return out;
  }
  if (method == "textDocument/references") {
    if (!f.references) unsupported();
    return references(params);
  }
  if (method == "textDocument/documentHighlight") {
    if (!f.references) unsupported();
    return document_highlight(params);
  }
  if (method == "textDocument/prepareRename") {
    if (!f.rename) unsupported();
    return prepare_rename(params);
  }
  if (method == "textDocument/rename") {
    if (!f.rename) unsupported();
    return rename(params);
  }
  if (method == "textDocument/codeAction") {
    if (!f.code_actions) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    TextRange range = range_param(*a.doc, field(params, "range"));
    json out = json::array();
    std::vector<Diagnostic> diags;
    for (const auto& act : a.analysis->code_actions(range)) {
      if (!kind_wanted(params, act.kind)) continue;
      json changes = json::object();
      for (const auto& e : act.edits) {
        json loc = location_json(uri, *a.doc, e.location);
        changes[loc["uri"].get<std::string>()].push_back(
            {{"range", loc["range"]}, {"newText", e.new_text}});
      }
      json j = {{"title", act.title},
                {"kind", act.kind},
                {"isPreferred", act.preferred},
                {"edit", {{"changes", changes}}}};
      if (act.diagnostic != static_cast<size_t>(-1)) {
        if (diags.empty()) diags = a.analysis->diagnostics();
        if (act.diagnostic < diags.size())
          j["diagnostics"] = json::array({diagnostic_json(uri, *a.doc, diags[act.diagnostic])});
      }
      out.push_back(std::move(j));
    }
    return out;
  }
  if (method == "textDocument/formatting" || method == "textDocument/rangeFormatting") {
    if (!f.formatting) unsupported();
    return formatting(params, method == "textDocument/rangeFormatting");
  }
  if (method == "textDocument/diagnostic") return pull_diagnostics(params);
  if (method == "textDocument/inlayHint") {
    if (!f.inlay_hints) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    TextRange visible = range_param(*a.doc, field(params, "range"));
    json out = json::array();
    for (const auto& h : a.analysis->inlay_hints(visible)) {
      Position p = a.doc->position_of(h.offset, encoding_);
      out.push_back({{"position", {{"line", p.line}, {"character", p.character}}},
                     {"label", h.label},
                     {"kind", h.is_type ? 1 : 2}});
    }
    return out;
  }
  unsupported();
  return nullptr;
}

json Server::initialize(const json& params) {
  encoding_ = PositionEncoding::kUtf16;
  const json caps_in = params.is_object() && params.contains("capabilities")
                           ? params["capabilities"]
                           : json::object();
  if (const json* enc = find_path(caps_in, {"general", "positionEncodings"});
      enc && enc->is_array())
    for (const auto& e : *enc)
      if (e == "utf-8") encoding_ = PositionEncoding::kUtf8;
  client_.hover_markdown = takes_markdown(caps_in, {"textDocument", "hover", "contentFormat"});
  client_.completion_markdown = takes_markdown(
      caps_in, {"textDocument", "completion", "completionItem", "documentationFormat"});
  client_.signature_markdown = takes_markdown(
      caps_in, {"textDocument", "signatureHelp", "signatureInformation", "documentationFormat"});
  client_.prepare_rename = flag(caps_in, {"textDocument", "rename", "prepareSupport"});
  client_.pull_diagnostics = find_path(caps_in, {"textDocument", "diagnostic"}) != nullptr;
  client_.diagnostic_refresh = flag(caps_in, {"workspace", "diagnostics", "refreshSupport"});
  docs_url_ = options_.docs_url;
  if (params.is_object()) {
    // The workspace root, against which programArgs' relative paths are taken.
    if (auto r = params.find("rootUri"); r != params.end() && r->is_string())
      root_ = uri_to_path(r->get<std::string>());
    else if (auto p = params.find("rootPath"); p != params.end() && p->is_string())
      root_ = p->get<std::string>();
    if (auto w = params.find("workspaceFolders");
        root_.empty() && w != params.end() && w->is_array() && !w->empty() && (*w)[0].is_object() &&
        (*w)[0].contains("uri") && (*w)[0]["uri"].is_string())
      root_ = uri_to_path((*w)[0]["uri"].get<std::string>());
  }
  if (params.is_object())
    if (auto o = params.find("initializationOptions"); o != params.end() && !o->is_null()) {
      apply_settings(*o, "initializationOptions");
      if (o->is_object())
        if (auto d = o->find("docsUrl"); d != o->end() && d->is_string()) {
          docs_url_ = d->get<std::string>();
          if (!docs_url_.empty() && docs_url_.back() != '/') docs_url_ += '/';
        }
    }
  const Features f = analyzer_->features();
  json types = json::array(), modifiers = json::array();
  for (auto n : kTokenTypeNames) types.push_back(n);
  for (auto n : kTokenModifierNames) modifiers.push_back(n);
  json caps = {
      {"positionEncoding", encoding_ == PositionEncoding::kUtf8 ? "utf-8" : "utf-16"},
      {"textDocumentSync",
       {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
      {"hoverProvider", true},
      {"completionProvider", {{"triggerCharacters", {".", "\""}}, {"resolveProvider", false}}},
      {"documentSymbolProvider", true},
      {"workspaceSymbolProvider", true},
      {"semanticTokensProvider",
       {{"legend", {{"tokenTypes", types}, {"tokenModifiers", modifiers}}},
        {"full", {{"delta", true}}},
        {"range", true}}},
      {"foldingRangeProvider", true},
      {"selectionRangeProvider", true},
      {"documentLinkProvider", {{"resolveProvider", false}}},
      {"definitionProvider", f.definition},
      {"referencesProvider", f.references},
      {"documentHighlightProvider", f.references},
      {"inlayHintProvider", f.inlay_hints},
      {"documentFormattingProvider", f.formatting},
      {"documentRangeFormattingProvider", f.formatting},
  };
  caps["renameProvider"] =
      f.rename && client_.prepare_rename ? json{{"prepareProvider", true}} : json(f.rename);
  caps["codeActionProvider"] = f.code_action_kinds.empty()
                                   ? json(f.code_actions)
                                   : json{{"codeActionKinds", f.code_action_kinds}};
  if (f.signature_help) caps["signatureHelpProvider"] = {{"triggerCharacters", {"(", ","}}};
  // Pull diagnostics only for clients that ask for them; the others get them pushed.
  if (client_.pull_diagnostics)
    caps["diagnosticProvider"] = {
        {"identifier", "tl"}, {"interFileDependencies", true}, {"workspaceDiagnostics", false}};
  return {{"capabilities", caps}, {"serverInfo", {{"name", "tl-lsp"}, {"version", TL_VERSION}}}};
}

void Server::did_open(const json& params) {
  const json& td = field(params, "textDocument");
  std::string uri = uri_param(params);
  const json& text = field(td, "text");
  if (!text.is_string()) throw RpcError(ErrorCode::kInvalidParams, "text must be a string");
  int64_t version = td.contains("version") ? int_field(td, "version") : 0;
  {
    std::lock_guard lock(mu_);
    docs_[uri] = Entry{std::make_shared<const TextDocument>(text.get<std::string>(), version),
                       canonical_path(uri),
                       {}};
  }
  document_changed(uri);
}

void Server::did_change(const json& params) {
  std::string uri = uri_param(params);
  int64_t version = int_field(field(params, "textDocument"), "version");
  const json& changes = field(params, "contentChanges");
  if (!changes.is_array())
    throw RpcError(ErrorCode::kInvalidParams, "contentChanges must be an array");
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) throw RpcError(ErrorCode::kRequestFailed, "document not open: " + uri);
    if (version <= it->second.doc->version())
      log(fmt::format("{}: version {} does not increase (was {})", uri, version,
                      it->second.doc->version()));
    TextDocument doc = *it->second.doc;
    for (const auto& c : changes) {
      const json& text = field(c, "text");
      if (!text.is_string())
        throw RpcError(ErrorCode::kInvalidParams, "change text must be a string");
      if (!c.contains("range")) {
        doc = TextDocument(text.get<std::string>(), version);
        continue;
      }
      const json& r = field(c, "range");
      auto next = doc.edited(position_param(field(r, "start")), position_param(field(r, "end")),
                             text.get_ref<const std::string&>(), encoding_, version);
      if (!next) {
        log(fmt::format("{}: edit range starts after its end; edit skipped", uri));
        continue;
      }
      doc = std::move(*next);
    }
    it->second.doc = std::make_shared<const TextDocument>(
        doc.version() == version ? std::move(doc) : TextDocument(doc.text(), version));
  }
  document_changed(uri);
}

void Server::did_close(const json& params) {
  std::string uri = uri_param(params);
  std::vector<std::string> dependents;
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    const std::string path = it == docs_.end() ? std::string() : it->second.path;
    docs_.erase(uri);
    tokens_.erase(uri);
    // Files importing it read the disk again (the buffer may have been closed unsaved).
    for (const auto& [other, entry] : docs_)
      for (const auto& dep : entry.cache.deps)
        if (!path.empty() && dep.first == path) dependents.push_back(other);
    // A client that pulls diagnostics drops a closed document's by itself.
    if (!client_.pull_diagnostics)
      out_.send({{"jsonrpc", "2.0"},
                 {"method", "textDocument/publishDiagnostics"},
                 {"params", {{"uri", uri}, {"diagnostics", json::array()}}}});
  }
  if (debouncer_) debouncer_->cancel(uri);
  for (const auto& d : dependents) document_changed(d);
}

void Server::recheck_all() {
  std::vector<std::string> uris;
  {
    std::lock_guard lock(mu_);
    for (auto& [uri, entry] : docs_) {
      entry.cache = {};
      uris.push_back(uri);
    }
  }
  for (const auto& uri : uris) document_changed(uri);
}

// {"lint": bool, "programArgs": {path: [word, ...]}}; anything else in `options` is left alone,
// and a wrong shape is logged and ignored (a client's settings must never stop the server). True
// when a setting changed.
bool Server::apply_settings(const json& options, const char* where) {
  if (!options.is_object()) {
    log(fmt::format("{}: expected an object, ignored", where));
    return false;
  }
  std::optional<bool> lint;
  if (auto l = options.find("lint"); l != options.end() && !l->is_null()) {
    if (l->is_boolean())
      lint = l->get<bool>();
    else
      log(fmt::format("{}: 'lint' must be true or false, ignored", where));
  }
  std::optional<std::map<std::string, std::vector<std::string>>> args;
  if (auto a = options.find("programArgs"); a != options.end() && !a->is_null())
    args = program_args_setting(*a, where);
  std::lock_guard lock(mu_);
  bool changed = false;
  if (lint && settings_.lint != *lint) {
    settings_.lint = *lint;
    changed = true;
  }
  if (args && program_args_ != *args) {
    program_args_ = std::move(*args);
    changed = true;
  }
  if (!changed) return false;
  // Each document gets a new snapshot identity, so analyses of the old settings (cached, or in
  // flight on the worker) count as stale and are neither answered from nor published.
  for (auto& [uri, entry] : docs_) {
    entry.doc = std::make_shared<const TextDocument>(*entry.doc);
    entry.cache = {};
  }
  return true;
}

std::optional<std::map<std::string, std::vector<std::string>>> Server::program_args_setting(
    const json& value, const char* where) const {
  auto wrong = [&] {
    log(fmt::format("{}: 'programArgs' must map paths to lists of strings, ignored", where));
    return std::nullopt;
  };
  if (!value.is_object()) return wrong();
  std::error_code ec;
  const std::filesystem::path base =
      root_.empty() ? std::filesystem::current_path(ec) : std::filesystem::path(root_);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, words] : value.items()) {
    if (!words.is_array()) return wrong();
    std::vector<std::string> list;
    for (const auto& w : words) {
      if (!w.is_string()) return wrong();
      list.push_back(w.get<std::string>());
    }
    std::filesystem::path p(key);
    if (p.is_relative()) p = base / p;
    out[p.lexically_normal().string()] = std::move(list);
  }
  return out;
}

// settings.tl.lint / settings.tl.programArgs (VS Code sends its "tl" section), or settings.lint:
// open documents are analysed again and republished when one changes.
void Server::did_change_configuration(const json& params) {
  if (!params.is_object() || !params.contains("settings")) {
    log("workspace/didChangeConfiguration: no 'settings', ignored");
    return;
  }
  const json& settings = params["settings"];
  const json* options = &settings;
  if (settings.is_object())
    if (auto tl = settings.find("tl"); tl != settings.end()) options = &*tl;
  if (options->is_null()) return;  // clients send null (or {}) when they have no settings
  if (!apply_settings(*options, "workspace/didChangeConfiguration")) return;
  std::vector<std::string> uris;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uri, entry] : docs_) uris.push_back(uri);
  }
  for (const auto& uri : uris) document_changed(uri);
}

// The document, and every open document that imports it (its buffer is what they read).
void Server::document_changed(const std::string& uri) {
  std::vector<std::string> uris{uri};
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it != docs_.end() && !it->second.path.empty())
      for (const auto& [other, entry] : docs_)
        for (const auto& dep : entry.cache.deps)
          if (other != uri && dep.first == it->second.path) uris.push_back(other);
  }
  for (const auto& u : uris) {
    if (debouncer_)
      debouncer_->schedule(u);
    else
      analyze_and_publish(u);
  }
}

bool Server::fresh(const Entry& entry, const Analyzed& a) const {
  if (!a.analysis || a.doc != entry.doc) return false;
  for (const auto& [path, text] : a.deps) {
    std::shared_ptr<const std::string> now;
    for (const auto& [uri, other] : docs_)
      if (other.path == path) now = other.doc->shared_text();
    if (now != text) return false;
  }
  return true;
}

Server::Analyzed Server::analyze(const std::string& uri, std::shared_ptr<const TextDocument> doc) {
  auto open = std::make_shared<OpenFiles>();
  AnalysisSettings settings;
  {
    std::lock_guard lock(mu_);
    for (const auto& [other, entry] : docs_)
      if (other != uri && !entry.path.empty()) (*open)[entry.path] = entry.doc->shared_text();
    settings = settings_;
    const std::string path = uri_to_path(uri);
    if (auto it = program_args_.find(std::filesystem::path(path).lexically_normal().string());
        !path.empty() && it != program_args_.end())
      settings.program_args = it->second;
  }
  Analyzed a{doc,
             analyzer_->analyze(
                 {uri, uri_to_path(uri), doc->version(), doc->shared_text(), settings, open}),
             {}};
  for (auto& path : a.analysis->dependencies()) {
    auto it = open->find(path);
    a.deps.emplace_back(std::move(path), it == open->end() ? nullptr : it->second);
  }
  return a;
}

Server::Analyzed Server::current(const std::string& uri) {
  std::shared_ptr<const TextDocument> doc;
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) throw RpcError(ErrorCode::kRequestFailed, "document not open: " + uri);
    if (fresh(it->second, it->second.cache)) return it->second.cache;
    doc = it->second.doc;
  }
  Analyzed a = analyze(uri, doc);
  std::lock_guard lock(mu_);
  auto it = docs_.find(uri);
  if (it != docs_.end() && it->second.doc == doc) it->second.cache = a;
  return a;
}

void Server::analyze_and_publish(const std::string& uri) {
  Analyzed a;
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) return;
    a = it->second.cache;
    if (!fresh(it->second, a)) a = {it->second.doc, nullptr, {}};
  }
  if (!a.analysis) {
    try {
      a = analyze(uri, a.doc);
    } catch (const std::exception& e) {
      log(fmt::format("{}: analysis failed: {}", uri, e.what()));
      return;
    }
  }
  // A client that pulls diagnostics asks again when told to (LSP 3.17 refresh).
  if (client_.pull_diagnostics) {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end() || it->second.doc != a.doc) return;
    it->second.cache = a;
    if (client_.diagnostic_refresh)
      out_.send({{"jsonrpc", "2.0"},
                 {"id", fmt::format("tl-refresh-{}", next_result_id_++)},
                 {"method", "workspace/diagnostic/refresh"}});
    return;
  }
  json diags = diagnostics_json(uri, a);
  // Publish under the lock, and only for the current version: a stale result can never be
  // sent after (and so over) a newer one.
  std::lock_guard lock(mu_);
  auto it = docs_.find(uri);
  if (it == docs_.end() || it->second.doc != a.doc) return;
  it->second.cache = a;
  out_.send({{"jsonrpc", "2.0"},
             {"method", "textDocument/publishDiagnostics"},
             {"params", {{"uri", uri}, {"version", a.doc->version()}, {"diagnostics", diags}}}});
}

json Server::diagnostics_json(const std::string& uri, const Analyzed& a) {
  json diags = json::array();
  for (const auto& d : a.analysis->diagnostics()) diags.push_back(diagnostic_json(uri, *a.doc, d));
  return diags;
}

json Server::pull_diagnostics(const json& params) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  return {{"kind", "full"}, {"items", diagnostics_json(uri, a)}};
}

json Server::markup(const std::string& md, bool client_takes_markdown) const {
  if (client_takes_markdown) return {{"kind", "markdown"}, {"value", md}};
  return {{"kind", "plaintext"}, {"value", plain_text(md)}};
}

TextRange Server::range_param(const TextDocument& doc, const json& r) const {
  size_t b = doc.offset_of(position_param(field(r, "start")), encoding_);
  size_t e = doc.offset_of(position_param(field(r, "end")), encoding_);
  return {b, std::max(b, e)};
}

// --- semantic tokens ----------------------------------------------------------------------------

// LSP's relative encoding of the tokens that overlap `within`; multi-line tokens (block
// comments) are split per line, as LSP tokens stay on one line.
std::vector<uint32_t> Server::encode_tokens(const TextDocument& doc,
                                            std::vector<SemanticToken> tokens,
                                            TextRange within) const {
  std::stable_sort(tokens.begin(), tokens.end(),
                   [](auto& x, auto& y) { return x.range.begin < y.range.begin; });
  std::vector<uint32_t> data;
  data.reserve(tokens.size() * 5);
  int64_t prev_line = 0, prev_char = 0;
  size_t covered = within.begin;
  const size_t limit = std::min(within.end, doc.text().size());
  Position cursor{0, 0};
  size_t cursor_offset = 0;
  for (const auto& t : tokens) {
    size_t b = std::max(t.range.begin, covered);
    size_t e = std::min(t.range.end, limit);
    if (t.range.begin >= limit) break;
    if (b >= e) continue;
    covered = e;
    for (size_t line = doc.line_of(b); line < doc.line_count(); ++line) {
      size_t pb = std::max(b, doc.line_begin(line));
      if (pb >= e) break;
      size_t pe = std::min(e, doc.line_end(line));
      if (pe > pb) {
        // Positions in increasing order, each counted on from the last: linear in the line.
        Position s = doc.position_from(cursor, cursor_offset, pb, encoding_);
        Position f2 = doc.position_from(s, pb, pe, encoding_);
        cursor = f2;
        cursor_offset = pe;
        int64_t len = f2.character - s.character;
        int64_t dl = s.line - prev_line;
        int64_t dc = dl == 0 ? s.character - prev_char : s.character;
        data.insert(data.end(),
                    {static_cast<uint32_t>(dl), static_cast<uint32_t>(dc),
                     static_cast<uint32_t>(len), static_cast<uint32_t>(t.type), t.modifiers});
        prev_line = s.line;
        prev_char = s.character;
      }
    }
  }
  return data;
}

json Server::semantic_tokens(const json& params, const std::string& method) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  if (method == "textDocument/semanticTokens/range")
    return {{"data", encode_tokens(*a.doc, a.analysis->semantic_tokens(),
                                   range_param(*a.doc, field(params, "range")))}};
  if (method != "textDocument/semanticTokens/full" &&
      method != "textDocument/semanticTokens/full/delta")
    throw RpcError(ErrorCode::kMethodNotFound, "method not found: " + method);
  std::vector<uint32_t> data =
      encode_tokens(*a.doc, a.analysis->semantic_tokens(), {0, a.doc->text().size()});
  std::lock_guard lock(mu_);
  TokenResult& last = tokens_[uri];
  std::string previous_id = last.id;
  std::string id = std::to_string(next_result_id_++);
  json result;
  const json* asked = params.is_object() ? find_path(params, {"previousResultId"}) : nullptr;
  if (method.ends_with("/delta") && asked && asked->is_string() && *asked == previous_id &&
      !previous_id.empty()) {
    // One edit: what lies between the common prefix and the common suffix.
    const auto& old = last.data;
    size_t pre = 0;
    while (pre < old.size() && pre < data.size() && old[pre] == data[pre]) ++pre;
    size_t suf = 0;
    while (suf < old.size() - pre && suf < data.size() - pre &&
           old[old.size() - 1 - suf] == data[data.size() - 1 - suf])
      ++suf;
    json edits = json::array();
    if (pre != old.size() || pre != data.size())
      edits.push_back({{"start", pre},
                       {"deleteCount", old.size() - pre - suf},
                       {"data", std::vector<uint32_t>(data.begin() + static_cast<long>(pre),
                                                      data.end() - static_cast<long>(suf))}});
    result = {{"resultId", id}, {"edits", std::move(edits)}};
  } else {
    std::string out = R"({"resultId":")" + id + R"(","data":[)";
    out.reserve(out.size() + data.size() * 4);
    for (size_t i = 0; i < data.size(); ++i)
      fmt::format_to(std::back_inserter(out), "{}{}", i ? "," : "", data[i]);
    out += "]}";
    raw_result_ = std::move(out);
  }
  last = {id, std::move(data)};
  return result;
}

// --- navigation across files --------------------------------------------------------------------

std::vector<std::pair<std::string, Server::Analyzed>> Server::workspace_analyses(
    const std::string& path) {
  std::vector<std::string> uris;
  bool path_open = path.empty();
  {
    std::lock_guard lock(mu_);
    for (const auto& [uri, entry] : docs_) {
      uris.push_back(uri);
      if (entry.path == path) path_open = true;
    }
  }
  std::vector<std::pair<std::string, Analyzed>> out;
  for (const auto& uri : uris) {
    try {
      out.emplace_back(uri, current(uri));
    } catch (const RpcError&) {  // closed meanwhile
    }
  }
  if (!path_open) {
    std::string uri = path_to_uri(path);
    out.emplace_back(uri, analyze(uri, std::make_shared<const TextDocument>(read_file(path), 0)));
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, Location>>> Server::occurrences(
    const std::string& uri, const Analyzed& a, size_t offset, bool include_declaration) {
  std::vector<std::pair<std::string, Location>> out;
  auto key = a.analysis->symbol_key(offset);
  if (!key) {
    auto local = a.analysis->rename_ranges(offset);
    if (!local) return std::nullopt;
    for (const auto& l : a.analysis->references(offset, include_declaration))
      out.emplace_back(l.uri.empty() ? uri : l.uri, l);
    return out;
  }
  for (auto& [other, analyzed] : workspace_analyses(key->path)) {
    const bool declares = canonical_path(other) == key->path;
    for (const auto& l : analyzed.analysis->occurrences(*key)) {
      if (!l.uri.empty()) continue;  // in an imported file: that file's own analysis has it
      if (!include_declaration && declares && l.range.begin == key->name_begin) continue;
      out.emplace_back(other, l);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::tie(x.first, x.second.range.begin) < std::tie(y.first, y.second.range.begin);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& x, const auto& y) {
                          return x.first == y.first && x.second.range.begin == y.second.range.begin;
                        }),
            out.end());
  return out;
}

json Server::references(const json& params) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  bool decl = params.contains("context") && params["context"].is_object() &&
              params["context"].value("includeDeclaration", false);
  auto found = occurrences(uri, a, offset_param(*a.doc, params), decl);
  json out = json::array();
  if (found)
    for (const auto& [u, l] : *found) out.push_back(location_json(uri, *a.doc, {u, l.range}));
  return out;
}

json Server::document_highlight(const json& params) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  size_t off = offset_param(*a.doc, params);
  json out = json::array();
  auto key = a.analysis->symbol_key(off);
  std::vector<Location> here =
      key ? a.analysis->occurrences(*key) : a.analysis->references(off, true);
  const bool declared_here = key && canonical_path(uri) == key->path;
  for (const auto& l : here) {
    if (!l.uri.empty() && l.uri != uri) continue;
    // The declaration is a write (DocumentHighlightKind 3), every other use a read (2).
    bool is_decl = key ? declared_here && l.range.begin == key->name_begin : &l == &here.front();
    out.push_back({{"range", range_json(*a.doc, l.range)}, {"kind", is_decl ? 3 : 2}});
  }
  return out;
}

json Server::prepare_rename(const json& params) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  size_t off = offset_param(*a.doc, params);
  auto found = occurrences(uri, a, off, true);
  if (found)
    for (const auto& [u, l] : *found)
      if (u == uri && l.range.begin <= off && off <= l.range.end)
        return {{"range", range_json(*a.doc, l.range)},
                {"placeholder", a.doc->text().substr(l.range.begin, l.range.end - l.range.begin)}};
  // null: the client says "this element cannot be renamed" before the user types anything.
  return nullptr;
}

json Server::rename(const json& params) {
  std::string uri = uri_param(params);
  const json& name = field(params, "newName");
  if (!name.is_string()) throw RpcError(ErrorCode::kInvalidParams, "newName must be a string");
  Analyzed a = current(uri);
  if (auto why = a.analysis->rename_error(name.get_ref<const std::string&>()))
    throw RpcError(ErrorCode::kRequestFailed, *why);
  auto found = occurrences(uri, a, offset_param(*a.doc, params), true);
  if (!found) throw RpcError(ErrorCode::kRequestFailed, "nothing to rename here");
  json changes = json::object();
  for (const auto& [u, l] : *found) {
    json loc = location_json(uri, *a.doc, {u, l.range});
    changes[loc["uri"].get<std::string>()].push_back({{"range", loc["range"]}, {"newText", name}});
  }
  return {{"changes", changes}};
}

json Server::workspace_symbol(const json& params) {
  std::string query;
  if (const json* q = find_path(params, {"query"}); q && q->is_string())
    query = q->get<std::string>();
  std::vector<std::string> uris;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uri, entry] : docs_) uris.push_back(uri);
  }
  json out = json::array();
  for (const auto& uri : uris) {
    Analyzed a;
    try {
      a = current(uri);
    } catch (const RpcError&) {
      continue;
    }
    std::function<void(const DocumentSymbol&, const std::string&)> add =
        [&](const DocumentSymbol& s, const std::string& container) {
          if (fuzzy_match(query, s.name)) {
            json j = {{"name", s.name},
                      {"kind", static_cast<int>(s.kind)},
                      {"location", {{"uri", uri}, {"range", range_json(*a.doc, s.selection)}}}};
            if (!container.empty()) j["containerName"] = container;
            out.push_back(std::move(j));
          }
          for (const auto& c : s.children) add(c, s.name);
        };
    for (const auto& s : a.analysis->symbols()) add(s, "");
  }
  return out;
}

json Server::selection_range(const json& params) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  const json& positions = field(params, "positions");
  if (!positions.is_array())
    throw RpcError(ErrorCode::kInvalidParams, "positions must be an array");
  json out = json::array();
  for (const auto& p : positions) {
    size_t off = a.doc->offset_of(position_param(p), encoding_);
    auto ranges = a.analysis->selection_ranges(off);
    json chain = nullptr;  // built outermost first, so each range holds its parent
    for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
      json node = {{"range", range_json(*a.doc, *it)}};
      if (!chain.is_null()) node["parent"] = std::move(chain);
      chain = std::move(node);
    }
    if (chain.is_null()) chain = {{"range", range_json(*a.doc, {off, off})}};
    out.push_back(std::move(chain));
  }
  return out;
}

json Server::document_link(const json& params) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  json out = json::array();
  for (const auto& l : a.analysis->document_links())
    out.push_back({{"range", range_json(*a.doc, l.range)},
                   {"target", path_to_uri(l.target)},
                   {"tooltip", l.target}});
  return out;
}

constexpr size_t kMaxDiffedLines = 1000;

// Whole-document formatting as line hunks (small edits: the cursor and marks outside them stay);
// range formatting applies the hunks that touch the range. A CRLF document stays CRLF.
json Server::formatting(const json& params, bool range_only) {
  std::string uri = uri_param(params);
  Analyzed a = current(uri);
  auto formatted = a.analysis->formatted();
  const std::string& before = a.doc->text();
  // A file with syntax errors is left as it is (as `tl fmt` does); its diagnostics say why.
  if (!formatted) return json::array();
  std::string after = std::move(*formatted);
  if (before.find("\r\n") != std::string::npos) {
    std::string crlf;
    crlf.reserve(after.size() + after.size() / 16);
    for (char c : after) {
      if (c == '\n') crlf.push_back('\r');
      crlf.push_back(c);
    }
    after = std::move(crlf);
  }
  if (after == before) return json::array();
  TextRange want{0, before.size()};
  if (range_only) want = range_param(*a.doc, field(params, "range"));
  // Line starts of both texts (lines keep their terminator, as line_hunks counts them).
  auto starts = [](const std::string& t) {
    std::vector<size_t> s{0};
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i] == '\n' && i + 1 < t.size()) s.push_back(i + 1);
    s.push_back(t.size());
    return s;
  };
  std::vector<size_t> sa = starts(before), sb = starts(after);
  auto at = [](const std::vector<size_t>& s, size_t line) {
    return s[std::min(line, s.size() - 1)];
  };
  json edits = json::array();
  // A whole file reformatted (thousands of changed lines) is one edit: a line diff of it costs
  // more than it saves. Ranges and ordinary edits get the small hunks.
  size_t changed = 0;
  {
    size_t pre = 0, na = sa.size() - 1, nb = sb.size() - 1;
    auto line = [](const std::string& t, const std::vector<size_t>& s, size_t i) {
      return std::string_view(t).substr(s[i], s[i + 1] - s[i]);
    };
    while (pre < na && pre < nb && line(before, sa, pre) == line(after, sb, pre)) ++pre;
    size_t suf = 0;
    while (suf < na - pre && suf < nb - pre &&
           line(before, sa, na - 1 - suf) == line(after, sb, nb - 1 - suf))
      ++suf;
    changed = std::max(na, nb) - pre - suf;
  }
  if (!range_only && changed > kMaxDiffedLines)
    return json::array({{{"range", range_json(*a.doc, want)}, {"newText", after}}});
  for (const auto& h : format::line_hunks(before, after)) {
    TextRange old{at(sa, h.a_begin), at(sa, h.a_end)};
    if (range_only && (old.end < want.begin || old.begin > want.end)) continue;
    edits.push_back(
        {{"range", range_json(*a.doc, old)},
         {"newText", after.substr(at(sb, h.b_begin), at(sb, h.b_end) - at(sb, h.b_begin))}});
  }
  return edits;
}

json Server::diagnostic_json(const std::string& uri, const TextDocument& doc, const Diagnostic& d) {
  json j = {{"range", range_json(doc, d.range)},
            {"severity", static_cast<int>(d.severity)},
            {"source", d.source.empty() ? std::string("tl") : d.source},
            {"message", d.message}};
  if (!d.code.empty()) j["code"] = d.code;
  if (!d.doc.empty() && !docs_url_.empty()) j["codeDescription"] = {{"href", docs_url_ + d.doc}};
  if (!d.tags.empty()) {
    json tags = json::array();
    for (DiagnosticTag t : d.tags) tags.push_back(static_cast<int>(t));
    j["tags"] = std::move(tags);
  }
  if (!d.related.empty()) {
    json rel = json::array();
    for (const auto& r : d.related)
      rel.push_back({{"location", location_json(uri, doc, r.location)}, {"message", r.message}});
    j["relatedInformation"] = std::move(rel);
  }
  return j;
}

void Server::append_range(std::string& out, const TextDocument& doc, TextRange r) const {
  Position b = doc.position_of(r.begin, encoding_);
  Position e = doc.position_of(std::max(r.begin, r.end), encoding_);
  fmt::format_to(std::back_inserter(out),
                 R"({{"start":{{"line":{},"character":{}}},"end":{{"line":{},"character":{}}}}})",
                 b.line, b.character, e.line, e.character);
}

json Server::range_json(const TextDocument& doc, TextRange r) const {
  Position b = doc.position_of(r.begin, encoding_);
  Position e = doc.position_of(std::max(r.begin, r.end), encoding_);
  return {{"start", {{"line", b.line}, {"character", b.character}}},
          {"end", {{"line", e.line}, {"character", e.character}}}};
}

json Server::location_json(const std::string& uri, const TextDocument& doc, const Location& loc) {
  if (loc.uri.empty() || loc.uri == uri)
    return {{"uri", uri}, {"range", range_json(doc, loc.range)}};
  std::shared_ptr<const TextDocument> other;
  {
    std::lock_guard lock(mu_);
    if (auto it = docs_.find(loc.uri); it != docs_.end()) other = it->second.doc;
  }
  if (!other) other = std::make_shared<const TextDocument>(read_file(uri_to_path(loc.uri)), 0);
  return {{"uri", loc.uri}, {"range", range_json(*other, loc.range)}};
}

size_t Server::offset_param(const TextDocument& doc, const json& params) const {
  return doc.offset_of(position_param(field(params, "position")), encoding_);
}

}  // namespace tl::lsp
