#include "vm/model/pretokenizer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <utility>

namespace tl {
namespace {

enum Class : uint8_t { Other = 0, Letter = 1, Number = 2, Mark = 3, Punctuation = 4 };

struct ClassRange {
  uint32_t first;
  uint8_t cls;
};
constexpr ClassRange kClassRanges[] = {
#include "vm/model/unicode_classes.inc"
};

// Unicode's White_Space property (what \s matches in the expressions above).
bool is_whitespace(uint32_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

Class class_of(uint32_t c) {
  if (c >= 0x110000) return Other;
  auto it = std::upper_bound(std::begin(kClassRanges), std::end(kClassRanges), c,
                             [](uint32_t v, const ClassRange& r) { return v < r.first; });
  return static_cast<Class>((it - 1)->cls);
}

// One codepoint's flags; `valid` is false past the end of the current chunk, where every test
// fails (llama.cpp's OUT_OF_RANGE).
struct Flags {
  bool valid = false, letter = false, number = false, space = false, punctuation = false;
};

Flags flags_of(uint32_t c) {
  const Class k = class_of(c);
  return {true, k == Letter, k == Number, is_whitespace(c), k == Punctuation};
}

uint32_t ascii_lower(uint32_t c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

// Word boundaries inside one chunk cpts[begin, end): `add(to)` ends the current word at `to`.
// Reads past the chunk see no codepoint and flags that fail every test (llama.cpp's OUT_OF_RANGE).
class Chunk {
 public:
  Chunk(const std::vector<uint32_t>& cpts, const std::vector<Flags>& flags, size_t begin,
        size_t end, std::vector<size_t>& out)
      : cpts_(cpts), flags_(flags), begin_(begin), end_(end), prev_(begin), out_(out) {}

  static constexpr uint32_t kNone = 0xFFFFFFFF;
  uint32_t cpt(size_t p) const { return p >= begin_ && p < end_ ? cpts_[p] : kNone; }
  Flags flags(size_t p) const { return p >= begin_ && p < end_ ? flags_[p] : Flags{}; }
  size_t begin() const { return begin_; }
  size_t end() const { return end_; }
  size_t add(size_t to) {
    const size_t n = to - prev_;
    if (n > 0) out_.push_back(n);
    prev_ = to;
    return n;
  }

  // 's|'t|'re|'ve|'m|'ll|'d at p (ASCII case-insensitive or not): its length, or 0.
  size_t contraction(size_t p, bool any_case) const {
    if (cpt(p) != '\'' || p + 1 >= end_) return 0;
    auto at = [&](size_t q) { return any_case ? ascii_lower(cpt(q)) : cpt(q); };
    const uint32_t a = at(p + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (p + 2 >= end_) return 0;
    const uint32_t b = at(p + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
  }

  // `\s+(?!\S)|\s+` at p, the last alternatives; returns the new position.
  size_t whitespace(size_t p) {
    size_t n = 0;
    while (flags(p + n).space) ++n;
    if (n > 1 && cpt(p + n) != kNone)
      p += n - 1;  // leave one space to start the next word
    else if (n > 0)
      p += n;
    else
      ++p;  // no alternative matched: the codepoint is a word of its own
    add(p);
    return p;
  }

 private:
  const std::vector<uint32_t>& cpts_;
  const std::vector<Flags>& flags_;
  size_t begin_, end_, prev_;
  std::vector<size_t>& out_;
};

bool other(const Flags& f) {
  return f.valid && !f.space && !f.letter && !f.number;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(Chunk& s) {
  for (size_t pos = s.begin(); pos < s.end();) {
    if (size_t n = s.contraction(pos, false)) {
      pos += s.add(pos + n);
      continue;
    }
    const bool space = s.cpt(pos) == ' ';
    Flags f = space ? s.flags(pos + 1) : s.flags(pos);
    auto run = [&](bool (*in)(const Flags&)) {
      pos += space;
      while (in(f)) f = s.flags(++pos);
      s.add(pos);
    };
    if (f.letter)
      run([](const Flags& g) { return g.letter; });
    else if (f.number)
      run([](const Flags& g) { return g.number; });
    else if (other(f))
      run(other);
    else
      pos = s.whitespace(pos);
  }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_llama3(Chunk& s, size_t max_digits) {
  for (size_t pos = s.begin(); pos < s.end();) {
    if (size_t n = s.contraction(pos, true)) {
      pos += s.add(pos + n);
      continue;
    }
    const uint32_t c = s.cpt(pos);
    const Flags f = s.flags(pos);
    if (!(c == '\r' || c == '\n' || f.number) && (f.letter || s.flags(pos + 1).letter)) {
      ++pos;
      while (s.flags(pos).letter) ++pos;
      s.add(pos);
      continue;
    }
    if (f.number) {
      size_t first = pos;
      while (s.flags(pos).number) {
        if (++pos - first >= max_digits) {
          s.add(pos);
          first = pos;
        }
      }
      s.add(pos);
      continue;
    }
    Flags g = c == ' ' ? s.flags(pos + 1) : f;
    if (!(g.space || g.letter || g.number) && f.valid) {
      pos += c == ' ';
      while (other(g)) g = s.flags(++pos);
      while (s.cpt(pos) == '\r' || s.cpt(pos) == '\n') ++pos;
      s.add(pos);
      continue;
    }
    size_t n = 0, after_newline = 0;
    for (; s.flags(pos + n).space; ++n)
      if (s.cpt(pos + n) == '\r' || s.cpt(pos + n) == '\n') after_newline = pos + n + 1;
    if (after_newline > 0) {  // \s*[\r\n]+
      pos = after_newline;
      s.add(pos);
      continue;
    }
    pos = s.whitespace(pos);
  }
}

// The other expressions of llama.cpp's lists, which it runs with std::regex: each is a class of
// codepoints repeated, `\s?` before it or not. Like std::regex_iterator, the leftmost match is a
// word, the text before it another, and the search goes on after the match.
struct Run {
  bool (*in)(uint32_t cpt, const Flags& f);
  bool space_first = false;        // \s? before the run
  size_t min = 1, max = SIZE_MAX;  // {min,max}
};

// The length of `r` matched at p, or 0.
size_t match(const Chunk& s, size_t p, const Run& r) {
  auto in = [&](size_t q) { return r.in(s.cpt(q), s.flags(q)); };
  // No class here holds whitespace, so `\s?` takes the space exactly when the run follows it.
  const size_t space = r.space_first && s.flags(p).space && in(p + 1) ? 1 : 0;
  size_t n = 0;
  while (n < r.max && in(p + space + n)) ++n;
  return n < r.min ? 0 : space + n;
}

void split_runs(Chunk& s, const Run& r) {
  for (size_t pos = s.begin(); pos < s.end();) {
    const size_t n = match(s, pos, r);
    if (n == 0) {
      ++pos;
      continue;
    }
    s.add(pos);
    pos += n;
    s.add(pos);
  }
  s.add(s.end());
}

// `\s+$`: the whitespace that ends the chunk.
void split_trailing_space(Chunk& s) {
  size_t t = s.end();
  while (t > s.begin() && s.flags(t - 1).space) --t;
  s.add(t);
  s.add(s.end());
}

bool is_number(uint32_t, const Flags& f) {
  return f.number;
}
bool is_letter(uint32_t, const Flags& f) {
  return f.letter;
}
bool is_newline(uint32_t c, const Flags&) {
  return c == '\r' || c == '\n';
}
bool is_ascii_digit(uint32_t c, const Flags&) {
  return c >= '0' && c <= '9';
}
// llama.cpp's std::regex sees \p{P} as one byte standing for every non-ASCII punctuation mark,
// plus the ASCII ones listed as themselves: !-#%-*,-/:;?@[-]_{}, not the symbols $+<=>^`|~.
bool is_ascii_punctuation(uint32_t c) {
  return (c >= '!' && c <= '#') || (c >= '%' && c <= '*') || (c >= ',' && c <= '/') || c == ':' ||
         c == ';' || c == '?' || c == '@' || (c >= '[' && c <= ']') || c == '_' || c == '{' ||
         c == '}';
}
bool is_punctuation(uint32_t c, const Flags& f) {
  return c < 0x80 ? is_ascii_punctuation(c) : f.punctuation;
}
// Falcon's [\p{P}\$\+<=>\^~\|`]: \p{P} and every ASCII symbol, so all of printable ASCII but
// letters and digits.
bool is_falcon_punctuation(uint32_t c, const Flags& f) {
  const bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  return c < 0x80 ? c > ' ' && c < 0x7F && !alnum : f.punctuation;
}

struct CodepointRange {
  uint32_t first, last;
};
bool in_ranges(std::span<const CodepointRange> ranges, uint32_t c) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](uint32_t v, const CodepointRange& r) { return v < r.first; });
  return it != ranges.begin() && c <= (it - 1)->last;
}

// DeepSeek's letters: the literal ranges of its expression (mostly cased scripts), sorted.
constexpr CodepointRange kDeepSeekLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
// [!-/:-~！-／：-～‘-‟　-。]: ASCII punctuation, symbols and letters, their fullwidth forms,
// quotation marks and CJK punctuation.
constexpr CodepointRange kDeepSeekPunctuation[] = {
    {0x21, 0x2F},     {0x3A, 0x7E},     {0x2018, 0x201F},
    {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
};
// [一-龥ࠀ-一가-퟿]: CJK ideographs, everything from U+0800 up to them, and Hangul.
constexpr CodepointRange kDeepSeekCjk[] = {{0x800, 0x9FA5}, {0xAC00, 0xD7FF}};

// llama.cpp hands these expressions a text whose non-ASCII whitespace is U+000B (std::regex's \s
// knows only ASCII), so no whitespace is in a literal range (U+3000, U+2000..U+200A).
bool is_deepseek_letter(uint32_t c, const Flags&) {
  return in_ranges(kDeepSeekLetters, c);
}
bool is_deepseek_punctuation(uint32_t c, const Flags& f) {
  return !f.space && in_ranges(kDeepSeekPunctuation, c);
}
bool is_deepseek_cjk(uint32_t c, const Flags& f) {
  return !f.space && in_ranges(kDeepSeekCjk, c);
}

const std::array<std::string, 256>& byte_alphabet() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      append_utf8(t[static_cast<size_t>(b)],
                  printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(next++));
    }
    return t;
  }();
  return table;
}

struct Name {
  std::string_view name;
  PreTokenizerChoice choice;
};
constexpr PreTokenizerChoice kLlama3{PreTokenizer::Llama3, true, true, false};
constexpr PreTokenizerChoice kGpt2{PreTokenizer::Gpt2, false, false, false};
constexpr PreTokenizerChoice kQwen2{PreTokenizer::Qwen2, false, false, false};
constexpr PreTokenizerChoice kStarCoder{PreTokenizer::StarCoder, false, false, false};
// llama.cpp's llama_vocab::impl::load: the names whose expressions are one of ours.
constexpr Name kNames[] = {
    {"llama3", kLlama3},
    {"llama-v3", kLlama3},
    {"llama-bpe", kLlama3},
    {"falcon3", kLlama3},
    {"falcon-h1", kLlama3},
    {"pixtral", kLlama3},
    {"midm-2.0", kLlama3},
    {"lfm2", kLlama3},
    {"jina-v5-nano", kLlama3},
    {"dbrx", {PreTokenizer::Llama3, false, false, false}},
    {"smaug-bpe", {PreTokenizer::Llama3, false, false, false}},
    {"glm4", {PreTokenizer::Llama3, false, false, true}},
    {"chatglm-bpe", {PreTokenizer::Llama3, false, false, true}},
    {"gpt-2", kGpt2},
    {"phi-2", kGpt2},
    {"jina-es", kGpt2},
    {"jina-de", kGpt2},
    {"gigachat", kGpt2},
    {"jina-v2-es", kGpt2},
    {"jina-v2-de", kGpt2},
    {"a.x-4.0", kGpt2},
    {"mellum", kGpt2},
    {"modern-bert", kGpt2},
    {"jina-v1-en", kGpt2},
    {"jina-v2-code", kGpt2},
    {"roberta-bpe", kGpt2},
    {"mpt", kGpt2},
    {"olmo", kGpt2},
    {"jais", kGpt2},
    {"trillion", kGpt2},
    {"granite-docling", kGpt2},
    {"qwen2", kQwen2},
    {"deepseek-r1-qwen", kQwen2},
    {"kormo", kQwen2},
    {"f2llmv2", kQwen2},
    {"stablelm2", kQwen2},
    {"hunyuan", kQwen2},
    {"solar-open", kQwen2},
    {"starcoder", kStarCoder},
    {"refact", kStarCoder},
    {"command-r", kStarCoder},
    {"smollm", kStarCoder},
    {"codeshell", kStarCoder},
    {"exaone", kStarCoder},
    {"minerva-7b", kStarCoder},
    {"mellum2", kStarCoder},
    {"falcon", {PreTokenizer::Falcon, false, false, false}},
    {"deepseek-llm", {PreTokenizer::DeepSeekLlm, false, false, false}},
    {"deepseek-coder", {PreTokenizer::DeepSeekCoder, false, false, false}},
};

}  // namespace

std::optional<PreTokenizerChoice> pre_tokenizer_named(std::string_view name) {
  for (const Name& n : kNames)
    if (n.name == name) return n.choice;
  return std::nullopt;
}

std::string supported_pre_tokenizers() {
  std::string s;
  for (const Name& n : kNames) {
    if (!s.empty()) s += ", ";
    s += n.name;
  }
  return s;
}

std::vector<uint32_t> utf8_codepoints(std::string_view t) {
  std::vector<uint32_t> out;
  out.reserve(t.size());
  auto cont = [&](size_t i) { return i < t.size() && (static_cast<uint8_t>(t[i]) & 0xC0) == 0x80; };
  for (size_t i = 0; i < t.size();) {
    const uint8_t b = static_cast<uint8_t>(t[i]);
    auto at = [&](size_t k) {
      return static_cast<uint32_t>(static_cast<uint8_t>(t[i + k]) & 0x3F);
    };
    if (b < 0x80) {
      out.push_back(b);
      i += 1;
    } else if ((b & 0xE0) == 0xC0 && cont(i + 1)) {
      out.push_back(((b & 0x1Fu) << 6) | at(1));
      i += 2;
    } else if ((b & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
      out.push_back(((b & 0x0Fu) << 12) | (at(1) << 6) | at(2));
      i += 3;
    } else if ((b & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      out.push_back(((b & 0x07u) << 18) | (at(1) << 12) | (at(2) << 6) | at(3));
      i += 4;
    } else {
      out.push_back(0xFFFD);
      i += 1;
    }
  }
  return out;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | ((c >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

const std::string& byte_to_unicode(uint8_t byte) {
  return byte_alphabet()[byte];
}

int codepoint_to_byte(uint32_t cpt) {
  static const std::array<int16_t, 512> table = [] {
    std::array<int16_t, 512> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) {
      const std::vector<uint32_t> c = utf8_codepoints(byte_alphabet()[static_cast<size_t>(b)]);
      t[c[0]] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return cpt < table.size() ? table[cpt] : -1;
}

std::vector<std::string> pre_tokenize(PreTokenizer type, std::string_view text) {
  const std::vector<uint32_t> cpts = utf8_codepoints(text);
  std::vector<Flags> flags(cpts.size());
  std::transform(cpts.begin(), cpts.end(), flags.begin(), flags_of);
  // llama.cpp applies its expressions one after the other, each splitting every chunk further.
  std::vector<size_t> words{cpts.size()};
  auto step = [&](auto split) {
    std::vector<size_t> next;
    next.reserve(words.size());
    size_t begin = 0;
    for (size_t len : words) {
      Chunk c(cpts, flags, begin, begin + len, next);
      split(c);
      begin += len;
    }
    words = std::move(next);
  };
  auto runs = [&](const Run& r) { step([&](Chunk& c) { split_runs(c, r); }); };
  switch (type) {
    case PreTokenizer::Gpt2:
      step(split_gpt2);
      break;
    case PreTokenizer::StarCoder:
      runs({is_number, false, 1, 1});
      step(split_gpt2);
      break;
    case PreTokenizer::Llama3:
      step([](Chunk& c) { split_llama3(c, 3); });
      break;
    case PreTokenizer::Qwen2:
      step([](Chunk& c) { split_llama3(c, 1); });
      break;
    case PreTokenizer::Falcon:
      runs({is_falcon_punctuation});
      step(split_gpt2);
      runs({is_ascii_digit, false, 3, 3});
      break;
    case PreTokenizer::DeepSeekLlm:
      runs({is_newline, false, 1, 1});
      runs({is_deepseek_letter, true});
      runs({is_deepseek_punctuation, true});
      step(split_trailing_space);
      runs({is_deepseek_cjk});
      runs({is_number});
      break;
    case PreTokenizer::DeepSeekCoder:
      runs({is_newline, false, 1, 1});
      runs({is_letter, true});
      runs({is_punctuation, true});
      runs({is_deepseek_cjk});
      runs({is_number, false, 1, 1});
      break;
  }
  std::vector<std::string> out;
  out.reserve(words.size());
  const auto& alphabet = byte_alphabet();
  std::string utf8;
  size_t begin = 0;
  for (size_t len : words) {
    utf8.clear();
    for (size_t i = begin; i < begin + len; ++i) append_utf8(utf8, cpts[i]);
    std::string& w = out.emplace_back();
    for (char ch : utf8) w += alphabet[static_cast<uint8_t>(ch)];
    begin += len;
  }
  return out;
}

}  // namespace tl
