#include "lsp/server.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

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

json markdown(const std::string& value) {
  return {{"kind", "markdown"}, {"value", value}};
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
  auto params_it = message.find("params");
  const json& params = params_it != message.end() ? *params_it : no_params;

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
    json result = dispatch(method, params, is_request);
    if (is_request) {
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
    return {{"contents", markdown(h->markdown)}, {"range", range_json(*a.doc, h->range)}};
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
      if (!c.documentation.empty()) item["documentation"] = markdown(c.documentation);
      items.push_back(std::move(item));
    }
    return {{"isIncomplete", false}, {"items", std::move(items)}};
  }
  if (method == "textDocument/documentSymbol") {
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    std::function<json(const DocumentSymbol&)> conv = [&](const DocumentSymbol& s) {
      json j = {{"name", s.name.empty() ? std::string("?") : s.name},
                {"kind", static_cast<int>(s.kind)},
                {"range", range_json(*a.doc, s.range)},
                {"selectionRange", range_json(*a.doc, s.selection)}};
      if (!s.detail.empty()) j["detail"] = s.detail;
      if (!s.children.empty()) {
        j["children"] = json::array();
        for (const auto& c : s.children) j["children"].push_back(conv(c));
      }
      return j;
    };
    json out = json::array();
    for (const auto& s : a.analysis->symbols()) out.push_back(conv(s));
    return out;
  }
  if (method == "textDocument/semanticTokens/full") {
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    const TextDocument& doc = *a.doc;
    auto tokens = a.analysis->semantic_tokens();
    std::stable_sort(tokens.begin(), tokens.end(),
                     [](auto& x, auto& y) { return x.range.begin < y.range.begin; });
    std::vector<uint32_t> data;
    data.reserve(tokens.size() * 5);
    int64_t prev_line = 0, prev_char = 0;
    size_t covered = 0;
    Position cursor{0, 0};
    size_t cursor_offset = 0;
    for (const auto& t : tokens) {
      size_t b = std::max(t.range.begin, covered);
      size_t e = std::min(t.range.end, doc.text().size());
      if (b >= e) continue;
      covered = e;
      // LSP tokens stay on one line: split multi-line tokens (block comments) per line.
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
          int64_t dl = s.line - prev_line;
          int64_t dc = dl == 0 ? s.character - prev_char : s.character;
          data.insert(data.end(), {static_cast<uint32_t>(dl), static_cast<uint32_t>(dc),
                                   static_cast<uint32_t>(f2.character - s.character),
                                   static_cast<uint32_t>(t.type), t.modifiers});
          prev_line = s.line;
          prev_char = s.character;
        }
      }
    }
    return {{"data", data}};
  }
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
    return {{"signatures", json::array({{{"label", s->label},
                                         {"documentation", markdown(s->documentation)},
                                         {"parameters", ps}}})},
            {"activeSignature", 0},
            {"activeParameter", s->active_parameter}};
  }
  if (method == "textDocument/definition" || method == "textDocument/references") {
    bool refs = method == "textDocument/references";
    if (refs ? !f.references : !f.definition) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    size_t off = offset_param(*a.doc, params);
    bool decl = refs && params.contains("context") && params["context"].is_object() &&
                params["context"].value("includeDeclaration", false);
    json out = json::array();
    for (const auto& l : refs ? a.analysis->references(off, decl) : a.analysis->definition(off))
      out.push_back(location_json(uri, *a.doc, l));
    return out;
  }
  if (method == "textDocument/rename") {
    if (!f.rename) unsupported();
    std::string uri = uri_param(params);
    const json& name = field(params, "newName");
    if (!name.is_string()) throw RpcError(ErrorCode::kInvalidParams, "newName must be a string");
    Analyzed a = current(uri);
    auto ranges = a.analysis->rename_ranges(offset_param(*a.doc, params));
    if (!ranges) throw RpcError(ErrorCode::kRequestFailed, "nothing to rename here");
    json changes = json::object();
    for (const auto& l : *ranges) {
      json loc = location_json(uri, *a.doc, l);
      changes[loc["uri"].get<std::string>()].push_back(
          {{"range", loc["range"]}, {"newText", name}});
    }
    return {{"changes", changes}};
  }
  if (method == "textDocument/codeAction") {
    if (!f.code_actions) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    const json& r = field(params, "range");
    TextRange range{a.doc->offset_of(position_param(field(r, "start")), encoding_),
                    a.doc->offset_of(position_param(field(r, "end")), encoding_)};
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
  if (method == "textDocument/formatting") {
    if (!f.formatting) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    auto text = a.analysis->formatted();
    // A file with syntax errors is left as it is (as `tl fmt` does); its diagnostics say why.
    if (!text || *text == a.doc->text()) return json::array();
    return json::array(
        {{{"range", range_json(*a.doc, {0, a.doc->text().size()})}, {"newText", *text}}});
  }
  if (method == "textDocument/inlayHint") {
    if (!f.inlay_hints) unsupported();
    std::string uri = uri_param(params);
    Analyzed a = current(uri);
    const json& r = field(params, "range");
    TextRange visible{a.doc->offset_of(position_param(field(r, "start")), encoding_),
                      a.doc->offset_of(position_param(field(r, "end")), encoding_)};
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
  if (params.is_object()) {
    const json* enc = nullptr;
    if (auto c = params.find("capabilities"); c != params.end() && c->is_object())
      if (auto g = c->find("general"); g != c->end() && g->is_object())
        if (auto e = g->find("positionEncodings"); e != g->end() && e->is_array()) enc = &*e;
    if (enc)
      for (const auto& e : *enc)
        if (e == "utf-8") encoding_ = PositionEncoding::kUtf8;
  }
  if (params.is_object())
    if (auto o = params.find("initializationOptions"); o != params.end() && !o->is_null())
      apply_settings(*o, "initializationOptions");
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
      {"semanticTokensProvider",
       {{"legend", {{"tokenTypes", types}, {"tokenModifiers", modifiers}}},
        {"full", true},
        {"range", false}}},
      {"foldingRangeProvider", true},
      {"definitionProvider", f.definition},
      {"referencesProvider", f.references},
      {"renameProvider", f.rename},
      {"inlayHintProvider", f.inlay_hints},
      {"documentFormattingProvider", f.formatting},
  };
  caps["codeActionProvider"] = f.code_action_kinds.empty()
                                   ? json(f.code_actions)
                                   : json{{"codeActionKinds", f.code_action_kinds}};
  if (f.signature_help) caps["signatureHelpProvider"] = {{"triggerCharacters", {"(", ","}}};
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
    docs_[uri] = Entry{std::make_shared<const TextDocument>(text.get<std::string>(), version), {}};
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
  {
    std::lock_guard lock(mu_);
    docs_.erase(uri);
    out_.send({{"jsonrpc", "2.0"},
               {"method", "textDocument/publishDiagnostics"},
               {"params", {{"uri", uri}, {"diagnostics", json::array()}}}});
  }
  if (debouncer_) debouncer_->cancel(uri);
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

// {"lint": bool}; anything else in `options` is left alone, and a wrong shape is logged and
// ignored (a client's settings must never stop the server). True when a setting changed.
bool Server::apply_settings(const json& options, const char* where) {
  if (!options.is_object()) {
    log(fmt::format("{}: expected an object, ignored", where));
    return false;
  }
  auto lint = options.find("lint");
  if (lint == options.end() || lint->is_null()) return false;
  if (!lint->is_boolean()) {
    log(fmt::format("{}: 'lint' must be true or false, ignored", where));
    return false;
  }
  std::lock_guard lock(mu_);
  if (settings_.lint == lint->get<bool>()) return false;
  settings_.lint = lint->get<bool>();
  // Each document gets a new snapshot identity, so analyses of the old settings (cached, or in
  // flight on the worker) count as stale and are neither answered from nor published.
  for (auto& [uri, entry] : docs_) {
    entry.doc = std::make_shared<const TextDocument>(*entry.doc);
    entry.cache = {};
  }
  return true;
}

// settings.tl.lint (VS Code sends its "tl" section), or settings.lint: open documents are
// analysed again and republished when it changes.
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

void Server::document_changed(const std::string& uri) {
  if (debouncer_)
    debouncer_->schedule(uri);
  else
    analyze_and_publish(uri);
}

Server::Analyzed Server::current(const std::string& uri) {
  std::shared_ptr<const TextDocument> doc;
  AnalysisSettings settings;
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) throw RpcError(ErrorCode::kRequestFailed, "document not open: " + uri);
    if (it->second.cache.doc == it->second.doc) return it->second.cache;
    doc = it->second.doc;
    settings = settings_;
  }
  Analyzed a{doc, analyzer_->analyze(
                      {uri, uri_to_path(uri), doc->version(), doc->shared_text(), settings})};
  std::lock_guard lock(mu_);
  auto it = docs_.find(uri);
  if (it != docs_.end() && it->second.doc == doc) it->second.cache = a;
  return a;
}

void Server::analyze_and_publish(const std::string& uri) {
  Analyzed a;
  AnalysisSettings settings;
  {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) return;
    a = it->second.cache;
    if (a.doc != it->second.doc) a = {it->second.doc, nullptr};
    settings = settings_;
  }
  if (!a.analysis) {
    try {
      a.analysis = analyzer_->analyze(
          {uri, uri_to_path(uri), a.doc->version(), a.doc->shared_text(), settings});
    } catch (const std::exception& e) {
      log(fmt::format("{}: analysis failed: {}", uri, e.what()));
      return;
    }
  }
  json diags = json::array();
  for (const auto& d : a.analysis->diagnostics()) diags.push_back(diagnostic_json(uri, *a.doc, d));
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

json Server::diagnostic_json(const std::string& uri, const TextDocument& doc, const Diagnostic& d) {
  json j = {{"range", range_json(doc, d.range)},
            {"severity", static_cast<int>(d.severity)},
            {"source", d.source.empty() ? std::string("tl") : d.source},
            {"message", d.message}};
  if (!d.code.empty()) j["code"] = d.code;
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
  if (!other) {
    std::ifstream f(uri_to_path(loc.uri), std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    other = std::make_shared<const TextDocument>(ss.str(), 0);
  }
  return {{"uri", loc.uri}, {"range", range_json(*other, loc.range)}};
}

size_t Server::offset_param(const TextDocument& doc, const json& params) const {
  return doc.offset_of(position_param(field(params, "position")), encoding_);
}

}  // namespace tl::lsp
