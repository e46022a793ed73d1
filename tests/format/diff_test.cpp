// The unified diff behind `tl fmt --check`.
#include <gtest/gtest.h>

#include "formatter/format.h"

using tl::format::unified_diff;

TEST(FormatDiff, EqualTextsGiveNothing) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "f.tl"), "");
}

TEST(FormatDiff, OneChangedLineWithContext) {
  std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string after = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff(before, after, "f.tl"),
            "--- f.tl\n+++ f.tl\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
}

TEST(FormatDiff, DistantChangesMakeTwoHunks) {
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
  }
  std::string d = unified_diff(before, after, "f");
  EXPECT_NE(d.find("@@ -1,5 +1,5 @@\n 1\n-2\n+x\n 3\n 4\n 5\n"), std::string::npos) << d;
  EXPECT_NE(d.find("@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+x\n 19\n 20\n"), std::string::npos)
      << d;
}

TEST(FormatDiff, InsertionsAndDeletions) {
  EXPECT_EQ(unified_diff("a\nc\n", "a\nb\nc\n", "f"),
            "--- f\n+++ f\n@@ -1,2 +1,3 @@\n a\n+b\n c\n");
  EXPECT_EQ(unified_diff("a\nb\nc\n", "a\nc\n", "f"),
            "--- f\n+++ f\n@@ -1,3 +1,2 @@\n a\n-b\n c\n");
  EXPECT_EQ(unified_diff("", "a\n", "f"), "--- f\n+++ f\n@@ -0,0 +1,1 @@\n+a\n");
}

TEST(FormatDiff, MissingFinalNewline) {
  EXPECT_EQ(unified_diff("a\nb", "a\nb\n", "f"),
            "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

TEST(FormatDiff, ApplyingTheHunksGivesTheNewText) {
  // A crude `patch`: replay the edit lines of every hunk over the old text.
  std::string before, after;
  for (int i = 0; i < 200; ++i) {
    before += "line " + std::to_string(i) + "\n";
    if (i % 17 == 3) after += "inserted\n";
    if (i % 23 != 5) after += "line " + std::to_string(i * (i % 31 == 7 ? 2 : 1)) + "\n";
  }
  std::string d = unified_diff(before, after, "f");
  std::vector<std::string> old_lines, result;
  for (size_t i = 0, j; (j = before.find('\n', i)) != std::string::npos; i = j + 1)
    old_lines.push_back(before.substr(i, j - i));
  size_t next_old = 0;
  size_t pos = d.find("@@");
  while (pos != std::string::npos && pos < d.size()) {
    int a_start = 0, a_count = 0, b_start = 0, b_count = 0;
    ASSERT_EQ(
        std::sscanf(d.c_str() + pos, "@@ -%d,%d +%d,%d @@", &a_start, &a_count, &b_start, &b_count),
        4);
    while (next_old + 1 < static_cast<size_t>(a_start)) result.push_back(old_lines[next_old++]);
    pos = d.find('\n', pos) + 1;
    while (pos < d.size() && d[pos] != '@') {
      size_t e = d.find('\n', pos);
      std::string line = d.substr(pos + 1, e - pos - 1);
      if (d[pos] == ' ' || d[pos] == '+') result.push_back(line);
      if (d[pos] != '+') ++next_old;
      pos = e + 1;
    }
  }
  while (next_old < old_lines.size()) result.push_back(old_lines[next_old++]);
  std::string rebuilt;
  for (const std::string& l : result) rebuilt += l + "\n";
  EXPECT_EQ(rebuilt, after);
}
