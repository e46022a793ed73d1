// Positions in UTF-16 and UTF-8, clamping, and range edits on non-ASCII text.
#include <gtest/gtest.h>

#include "lsp/text_document.h"

namespace tl::lsp {
namespace {

constexpr auto U16 = PositionEncoding::kUtf16;
constexpr auto U8 = PositionEncoding::kUtf8;

// Line 0: Japanese comment; line 1: Korean + an astral char (U+1F600, a surrogate pair in
// UTF-16); line 2 (CRLF-terminated before it): Russian.
const std::string kText =
    "// 日本語 x\n"
    "// 한국어 😀 y\r\n"
    "// Привет z";

TEST(TextDocument, LinesAndTerminators) {
  TextDocument d(kText, 1);
  EXPECT_EQ(d.line_count(), 3u);
  EXPECT_EQ(std::string_view(d.text()).substr(d.line_begin(1), d.line_end(1) - d.line_begin(1)),
            "// 한국어 😀 y");
  TextDocument cr("a\rb\r\nc\n", 1);
  EXPECT_EQ(cr.line_count(), 4u);
  EXPECT_EQ(cr.offset_of({1, 0}, U16), 2u);
  EXPECT_EQ(cr.offset_of({2, 0}, U16), 5u);
}

TEST(TextDocument, Utf16AndUtf8Columns) {
  TextDocument d(kText, 1);
  // 'x' on line 0: "// " (3) + 3 CJK chars: UTF-16 column 7 (3 + 3 + 1 space), UTF-8 column 13.
  size_t x = kText.find('x');
  EXPECT_EQ(d.offset_of({0, 7}, U16), x);
  EXPECT_EQ(d.offset_of({0, 13}, U8), x);
  EXPECT_EQ(d.position_of(x, U16), (Position{0, 7}));
  EXPECT_EQ(d.position_of(x, U8), (Position{0, 13}));
  // 'y' on line 1: "// " 3 + 한국어 3 + " " 1 + 😀 2 (surrogate pair) + " " 1 = 10 in UTF-16;
  // 3 + 9 + 1 + 4 + 1 = 18 in UTF-8.
  size_t y = kText.find('y');
  EXPECT_EQ(d.offset_of({1, 10}, U16), y);
  EXPECT_EQ(d.offset_of({1, 18}, U8), y);
  EXPECT_EQ(d.position_of(y, U16), (Position{1, 10}));
  // 'z': "// " + 6 Cyrillic letters + " ": UTF-16 10, UTF-8 3 + 12 + 1 = 16.
  size_t z = kText.find('z');
  EXPECT_EQ(d.offset_of({2, 10}, U16), z);
  EXPECT_EQ(d.offset_of({2, 16}, U8), z);
}

TEST(TextDocument, ClampsOutOfRangeAndInsideCharacters) {
  TextDocument d(kText, 1);
  size_t emoji = kText.find("😀");
  // "// 한국어 " is 7 UTF-16 units; character 8 is between the two surrogates of U+1F600: clamp to
  // its start.
  EXPECT_EQ(d.offset_of({1, 8}, U16), emoji);
  EXPECT_EQ(d.offset_of({1, 9}, U16), emoji + 4);
  // Inside a multi-byte UTF-8 sequence: clamp to its start.
  EXPECT_EQ(d.offset_of({1, 4}, U8), kText.find("한"));
  // Past the line's end: the line's end (before \r\n); past the last line: end of text.
  EXPECT_EQ(d.offset_of({1, 1000}, U16), d.line_end(1));
  EXPECT_EQ(d.offset_of({99, 0}, U16), kText.size());
  EXPECT_EQ(d.offset_of({-3, -3}, U16), 0u);
  // Offsets inside a character map to its start; past the end to the end.
  EXPECT_EQ(d.position_of(emoji + 2, U16), (Position{1, 7}));
  EXPECT_EQ(d.position_of(1u << 30, U16), (Position{2, 11}));
}

TEST(TextDocument, RangeEditsInBothEncodings) {
  TextDocument d(kText, 1);
  // Replace 😀 (UTF-16 columns 7..9) with "ok".
  auto e = d.edited({1, 7}, {1, 9}, "ok", U16, 2);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->version(), 2);
  EXPECT_NE(e->text().find("한국어 ok y"), std::string::npos);
  // The same edit in UTF-8 columns 13..17.
  auto e8 = d.edited({1, 13}, {1, 17}, "ok", U8, 2);
  ASSERT_TRUE(e8);
  EXPECT_EQ(e8->text(), e->text());
  // Delete across lines: from after "x" on line 0 to the start of line 2.
  auto j = d.edited({0, 8}, {2, 0}, "", U16, 3);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->text(), "// 日本語 x// Привет z");
  EXPECT_EQ(j->line_count(), 1u);
  // Insert at the very end, past everything (clamped).
  auto k = d.edited({50, 50}, {60, 0}, "\n", U16, 4);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->line_count(), 4u);
  // A range whose start is after its end does not apply.
  EXPECT_FALSE(d.edited({2, 0}, {0, 0}, "x", U16, 5));
}

TEST(TextDocument, InvalidUtf8BytesCountAsOneUnit) {
  TextDocument d(std::string("a\xff\xc3"
                             "b"),
                 1);
  EXPECT_EQ(d.offset_of({0, 3}, U16), 3u);
  EXPECT_EQ(d.position_of(4, U16), (Position{0, 4}));
}

TEST(UriToPath, DecodesFileUris) {
  EXPECT_EQ(uri_to_path("file:///home/a%20b/m.tl"), "/home/a b/m.tl");
  EXPECT_EQ(uri_to_path("untitled:Untitled-1"), "");
}

}  // namespace
}  // namespace tl::lsp
