// The Analysis seam: everything language-specific the server shows comes through here.
//
// The server owns the protocol (JSON, positions in the negotiated encoding, versions, debounce);
// an Analyzer turns one immutable document snapshot into an Analysis, whose answers use BYTE
// OFFSETS into that snapshot's UTF-8 text. The server converts offsets to LSP positions with the
// same snapshot, so analyses never deal with UTF-16 or with edits.
//
// Layers stack by decoration: SyntaxAnalyzer (parser: diagnostics, symbols, tokens, folding,
// declared names) is wrapped by the checker's analyzer, which adds type/shape diagnostics, hover
// types, definition, references, rename, signature help and inlay hints, and falls back to the
// wrapped Analysis for the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tl::lsp {

// [begin, end) in bytes of the snapshot's text.
struct TextRange {
  size_t begin = 0;
  size_t end = 0;
};

// What the client asked for (initializationOptions, workspace/didChangeConfiguration, CLI flags).
struct AnalysisSettings {
  bool lint = true;  // publish the linter's findings (formatter/lint.h) with the checker's
  // This document's program arguments (the `programArgs` setting): the checker knows args(), as
  // `tl check FILE ARGS...` does, so a model named by them gives its shapes.
  std::optional<std::vector<std::string>> program_args;
};

// The text of the other documents the client has open, by absolute path: imports read them
// instead of the disk, so an unsaved edit in an imported file is seen at once.
using OpenFiles = std::map<std::string, std::shared_ptr<const std::string>>;

struct DocumentSnapshot {
  std::string uri;   // as the client sent it
  std::string path;  // file system path for file:// URIs (imports, load_model), else empty
  int64_t version = 0;
  std::shared_ptr<const std::string> text;
  AnalysisSettings settings;
  std::shared_ptr<const OpenFiles> open_files;  // may be null
};

enum class Severity : int { kError = 1, kWarning = 2, kInformation = 3, kHint = 4 };
// LSP DiagnosticTag values: editors fade code tagged Unnecessary (unused, unreachable).
enum class DiagnosticTag : int { kUnnecessary = 1 };

// A place in this document (uri empty) or in another file (uri set; range is in bytes of that
// file's current text: the open document if the client has it open, else the file on disk).
struct Location {
  std::string uri;
  TextRange range;
};

// A note attached to a diagnostic (LSP relatedInformation), e.g. where a size was bound.
struct RelatedInfo {
  Location location;
  std::string message;
};

struct Diagnostic {
  TextRange range;
  Severity severity = Severity::kError;
  std::string code;    // stable id, e.g. "syntax", "E0101"; shown by editors
  std::string source;  // who reports it: empty for the parser and checker ("tl"), or "tl-lint"
  std::string message;
  std::vector<RelatedInfo> related;
  std::vector<DiagnosticTag> tags;
  // Where the code is explained, relative to the docs folder ("lint.md#w0607-function_keyword");
  // the server turns it into codeDescription.href. Empty: no page.
  std::string doc;
};

struct TextEdit {
  Location location;  // uri empty: this document
  std::string new_text;
};

// A quick fix (LSP CodeAction of kind "quickfix" with a WorkspaceEdit), or a source action such
// as "source.fixAll.tl".
struct CodeAction {
  std::string title;
  std::string kind = "quickfix";
  std::vector<TextEdit> edits;
  bool preferred = false;
  // Index in diagnostics() of the diagnostic it fixes (npos: none).
  size_t diagnostic = static_cast<size_t>(-1);
};

// Values are LSP's SymbolKind / CompletionItemKind numbers.
enum class SymbolKind : int { kModule = 2, kFunction = 12, kVariable = 13, kConstant = 14 };
enum class CompletionKind : int {
  kFunction = 3,
  kVariable = 6,
  kModule = 9,
  kKeyword = 14,
  kConstant = 21,
  kTypeParameter = 25,
};

struct DocumentSymbol {
  std::string name;
  std::string detail;  // e.g. a function's signature, a tensor's type
  SymbolKind kind = SymbolKind::kVariable;
  TextRange range;      // the whole declaration
  TextRange selection;  // the name
  std::vector<DocumentSymbol> children;
};

struct CompletionItem {
  std::string label;
  CompletionKind kind = CompletionKind::kVariable;
  std::string detail;         // one line: a signature or a type
  std::string documentation;  // markdown
  // Set: the item replaces this range with `label` (a textEdit), e.g. the whole text inside a
  // string literal for tensor names with dots, which editors would not treat as one word.
  std::optional<TextRange> replace;
};

struct HoverInfo {
  TextRange range;       // the word hovered
  std::string markdown;  // contents
};

// The semantic token legend, in this order (the server sends the names).
enum class TokenType : uint32_t {
  kKeyword,
  kFunction,
  kVariable,
  kParameter,
  kNumber,
  kString,
  kComment,
  kOperator,
  kType,
  kProperty,
};
inline constexpr const char* kTokenTypeNames[] = {"keyword", "function", "variable", "parameter",
                                                  "number",  "string",   "comment",  "operator",
                                                  "type",    "property"};
enum TokenModifier : uint32_t { kModDeclaration = 1u << 0, kModDefaultLibrary = 1u << 1 };
inline constexpr const char* kTokenModifierNames[] = {"declaration", "defaultLibrary"};

// Tokens in document order, not overlapping; they may span lines (the server splits them).
struct SemanticToken {
  TextRange range;
  TokenType type = TokenType::kVariable;
  uint32_t modifiers = 0;
};

struct FoldingRange {
  TextRange range;   // folds the lines from range.begin's line to range.end's line
  std::string kind;  // "", "comment", "imports" or "region"
};

struct SignatureInfo {
  std::string label;                  // "softmax(x: Tensor, dim: int = -1) -> Tensor"
  std::string documentation;          // markdown
  std::vector<TextRange> parameters;  // byte ranges inside `label`
  int active_parameter = 0;
};

// A path in the text that names a file: `import "lib.tl"`, `load_model("m.gguf")`.
struct DocumentLink {
  TextRange range;     // the path, without its quotes
  std::string target;  // absolute file system path
};

// A global symbol's identity across files: the file that declares it and its name's offset
// there. Two analyses that see the same declaration (one declares it, one imports it) agree.
struct SymbolKey {
  std::string path;
  size_t name_begin = 0;
  friend bool operator==(const SymbolKey&, const SymbolKey&) = default;
};

struct InlayHint {
  size_t offset = 0;    // shown before this byte
  std::string label;    // e.g. ": float16[N, D_out]"
  bool is_type = true;  // InlayHintKind Type (else Parameter)
};

// Results for ONE version of ONE document. Immutable once built and shared between threads
// (the debounce worker builds it, the request thread queries it): methods must be const and
// thread-safe. Every offset argument is a byte offset into the snapshot's text, at most its size.
class Analysis {
 public:
  virtual ~Analysis() = default;

  virtual std::vector<Diagnostic> diagnostics() const { return {}; }
  virtual std::vector<DocumentSymbol> symbols() const { return {}; }
  virtual std::vector<SemanticToken> semantic_tokens() const { return {}; }
  virtual std::vector<FoldingRange> folding_ranges() const { return {}; }
  virtual std::optional<HoverInfo> hover(size_t /*offset*/) const { return std::nullopt; }
  virtual std::vector<CompletionItem> completion(size_t /*offset*/) const { return {}; }
  virtual std::vector<Location> definition(size_t /*offset*/) const { return {}; }
  // For the checker (advertised only when the Analyzer's Features say so):
  virtual std::vector<Location> references(size_t /*offset*/, bool /*include_declaration*/) const {
    return {};
  }
  // Every range to replace when renaming the symbol at offset; nullopt = cannot rename here.
  virtual std::optional<std::vector<Location>> rename_ranges(size_t /*offset*/) const {
    return std::nullopt;
  }
  // Why `name` cannot be a new name ("`let` is a keyword"); nullopt when it can.
  virtual std::optional<std::string> rename_error(std::string_view /*name*/) const {
    return std::nullopt;
  }
  virtual std::optional<SignatureInfo> signature_help(size_t /*offset*/) const {
    return std::nullopt;
  }
  virtual std::vector<InlayHint> inlay_hints(TextRange /*visible*/) const { return {}; }
  // Quick fixes whose diagnostic overlaps `range`, then the document's source actions.
  virtual std::vector<CodeAction> code_actions(TextRange /*range*/) const { return {}; }
  // The whole document formatted (what `tl fmt` writes); nullopt: cannot (syntax errors).
  virtual std::optional<std::string> formatted() const { return std::nullopt; }
  virtual std::vector<DocumentLink> document_links() const { return {}; }
  // The ranges around `offset` that a selection grows through, innermost first (a word, its
  // expression, the statement, the block, the function, the file).
  virtual std::vector<TextRange> selection_ranges(size_t /*offset*/) const { return {}; }
  // Cross-file navigation: the identity of the symbol at `offset` when other files can name it
  // (a global declared here or imported), and every occurrence in this document of such a symbol
  // (declaration included; locations with a uri are in an imported file, which the caller drops).
  virtual std::optional<SymbolKey> symbol_key(size_t /*offset*/) const { return std::nullopt; }
  virtual std::vector<Location> occurrences(const SymbolKey& /*key*/) const { return {}; }
  // Absolute paths of the files this analysis read besides the document (its imports).
  virtual std::vector<std::string> dependencies() const { return {}; }
};

// Which optional requests the server advertises in `initialize`.
struct Features {
  bool definition = false;
  bool references = false;
  bool rename = false;
  bool signature_help = false;
  bool inlay_hints = false;
  bool code_actions = false;
  // The CodeActionKinds code_actions() returns (advertised so that clients ask for source
  // actions such as "source.fixAll.tl" on save); empty: not said.
  std::vector<std::string> code_action_kinds;
  bool formatting = false;
};

// Builds an Analysis for a snapshot. Called concurrently from the debounce worker and the
// request thread, so implementations must be thread-safe (stateless, or locking their caches).
class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual std::shared_ptr<const Analysis> analyze(const DocumentSnapshot& doc) const = 0;
  virtual Features features() const { return {}; }
};

}  // namespace tl::lsp
