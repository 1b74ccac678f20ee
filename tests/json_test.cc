#include "core/io/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kernels/error.h"

namespace latent {
namespace {

// Returns the message of the latent::Error that Parse throws, or fails the test.
std::string ParseError(const std::string& text) {
  try {
    Json::Parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "Parse accepted invalid JSON: " << text;
  return "";
}

TEST(JsonTest, ParsesEveryKindOfValue) {
  const Json j = Json::Parse(
      R"( {"n": null, "t": true, "f": false, "i": -42, "x": 1.5e3, "s": "hi",)"
      R"( "a": [1, [2, {}], []], "o": {"k": "v"}} )");
  ASSERT_EQ(j.type(), Json::Type::kObject);
  EXPECT_EQ(j.At("n").type(), Json::Type::kNull);
  EXPECT_TRUE(j.At("t").AsBool());
  EXPECT_FALSE(j.At("f").AsBool());
  EXPECT_EQ(j.At("i").AsInt64(), -42);
  EXPECT_EQ(j.At("x").AsNumber(), 1500.0);
  EXPECT_EQ(j.At("s").AsString(), "hi");
  const Json::Array& a = j.At("a").AsArray();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].AsInt64(), 1);
  EXPECT_EQ(a[1].AsArray()[0].AsInt64(), 2);
  EXPECT_EQ(a[1].AsArray()[1].type(), Json::Type::kObject);
  EXPECT_TRUE(a[2].AsArray().empty());
  EXPECT_EQ(j.At("o").At("k").AsString(), "v");
  EXPECT_TRUE(j.Contains("o"));
  EXPECT_FALSE(j.Contains("missing"));
}

TEST(JsonTest, DumpsCompactlyInInsertionOrder) {
  Json j = Json::MakeObject();
  j.Set("zeta", 1);
  j.Set("alpha", Json::Array{true, nullptr, "x"});
  Json inner = Json::MakeObject();
  inner.Set("k", 2.5);
  j.Set("inner", inner);
  j.Set("zeta", 3);  // replaces in place: the key keeps its first position
  EXPECT_EQ(j.Dump(), R"({"zeta":3,"alpha":[true,null,"x"],"inner":{"k":2.5}})");
}

TEST(JsonTest, DumpsIndented) {
  Json j = Json::MakeObject();
  j.Set("a", Json::Array{1, 2});
  j.Set("b", Json::MakeObject());
  j.Set("c", Json::Array{});
  EXPECT_EQ(j.Dump(2), "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}");
}

TEST(JsonTest, NumbersPrintShortestRoundTripAndIntegersWithoutDecimalPoint) {
  EXPECT_EQ(Json(3).Dump(), "3");
  EXPECT_EQ(Json(-7.0).Dump(), "-7");
  EXPECT_EQ(Json(int64_t{9007199254740992}).Dump(), "9007199254740992");  // 2^53
  EXPECT_EQ(Json(0.1).Dump(), "0.1");
  EXPECT_EQ(Json(1e300).Dump(), "1e+300");
  for (const double x : {0.1, 1.0 / 3.0, 6.02214076e23, -2.5e-308, 123456789.123456789,
                         std::numeric_limits<double>::max(),
                         std::numeric_limits<double>::denorm_min()}) {
    EXPECT_EQ(Json::Parse(Json(x).Dump()).AsNumber(), x) << Json(x).Dump();
  }
  // A float widened to double must read back as the same float.
  const float f = 0.3f;
  EXPECT_EQ(static_cast<float>(Json::Parse(Json(f).Dump()).AsNumber()), f);
}

TEST(JsonTest, NonFiniteNumbersDumpAsNull) {
  EXPECT_EQ(Json(std::nan("")).Dump(), "null");
  EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).Dump(), "null");
}

TEST(JsonTest, EscapesRoundTrip) {
  const std::string raw = "line\nquote\" back\\ tab\t bell\x07 slash/ caf\xc3\xa9";
  const std::string dumped = Json(raw).Dump();
  EXPECT_EQ(dumped, R"("line\nquote\" back\\ tab\t bell\u0007 slash/ caf)" "\xc3\xa9\"");
  EXPECT_EQ(Json::Parse(dumped).AsString(), raw);
}

TEST(JsonTest, ParsesEscapesIntoUtf8) {
  EXPECT_EQ(Json::Parse(R"("a\nb\"c\\d\/e\b\f\r\t")").AsString(), "a\nb\"c\\d/e\b\f\r\t");
  EXPECT_EQ(Json::Parse(R"("caf\u00e9")").AsString(), "caf\xc3\xa9");        // 2 UTF-8 bytes
  EXPECT_EQ(Json::Parse(R"("\u20AC")").AsString(), "\xe2\x82\xac");          // euro, 3 bytes
  EXPECT_EQ(Json::Parse(R"("\uD83D\uDE00")").AsString(), "\xf0\x9f\x98\x80");  // emoji pair
  EXPECT_EQ(Json::Parse(R"("\u0041")").AsString(), "A");
}

TEST(JsonTest, RoundTripsANestedDocument) {
  const std::string text =
      R"({"model":"vae","layers":[784,400,20],"adam":{"lr":0.001,"betas":[0.9,0.999]},)"
      R"("tags":[],"note":"\u00e9\n","ok":true,"none":null})";
  const Json j = Json::Parse(text);
  EXPECT_EQ(j.Dump(), R"({"model":"vae","layers":[784,400,20],"adam":{"lr":0.001,)"
                      R"("betas":[0.9,0.999]},"tags":[],"note":")" "\xc3\xa9" R"(\n",)"
                      R"("ok":true,"none":null})");
  EXPECT_EQ(Json::Parse(j.Dump(4)).Dump(), j.Dump());
}

TEST(JsonTest, ParseErrorsGiveLineColumnAndWhatWasExpected) {
  std::string e = ParseError(R"({"a": tru})");
  EXPECT_NE(e.find("line 1, column 7"), std::string::npos) << e;
  EXPECT_NE(e.find("expected a value, found 't'"), std::string::npos) << e;

  e = ParseError("{\n  \"a\": 1,\n  \"b\" 2\n}");
  EXPECT_NE(e.find("line 3, column 7"), std::string::npos) << e;
  EXPECT_NE(e.find("':'"), std::string::npos) << e;
  EXPECT_NE(e.find("found '2'"), std::string::npos) << e;

  e = ParseError("[1, 2");
  EXPECT_NE(e.find("offset 5"), std::string::npos) << e;
  EXPECT_NE(e.find("found end of input"), std::string::npos) << e;

  e = ParseError(R"({"a": 1, "a": 2})");
  EXPECT_NE(e.find("\"a\" appears twice"), std::string::npos) << e;
  EXPECT_NE(e.find("column 10"), std::string::npos) << e;

  e = ParseError("[1] x");
  EXPECT_NE(e.find("end of input after the top-level value"), std::string::npos) << e;
}

TEST(JsonTest, RejectsInvalidInput) {
  for (const char* text :
       {"", "  ", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "'x'", "01", "1.", ".5", "-",
        "1e", "+1", "NaN", "Infinity", "1e999", "\"abc", "\"a\nb\"", R"("\x")", R"("\u12")",
        R"("\u12G4")", R"("\uDE00")", R"("\uD83Dx")", R"("\uD83D\u0041")", "nul", "truex"}) {
    EXPECT_THROW(Json::Parse(text), Error) << text;
  }
  // Nesting deeper than the limit is an error, not a stack overflow.
  EXPECT_THROW(Json::Parse(std::string(100000, '[')), Error);
  EXPECT_NO_THROW(Json::Parse(std::string(200, '[') + std::string(200, ']')));
}

TEST(JsonTest, AccessorErrorsNameExpectedAndFoundTypes) {
  const Json j = Json::Parse(R"({"a": 1.5, "b": "s"})");
  try {
    j.At("missing");
    FAIL() << "At did not throw";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"missing\""), std::string::npos) << message;
    EXPECT_NE(message.find("\"a\", \"b\""), std::string::npos) << message;
  }
  try {
    j.At("b").AsNumber();
    FAIL() << "AsNumber did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "expected a JSON number, found a string");
  }
  try {
    j.At("a").AsInt64();
    FAIL() << "AsInt64 did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "expected a JSON integer that fits in int64, found 1.5");
  }
  EXPECT_THROW(Json::Parse("1e19").AsInt64(), Error);
  EXPECT_EQ(Json::Parse("-9223372036854775808").AsInt64(), std::numeric_limits<int64_t>::min());
  EXPECT_THROW(Json::Parse("[1]").At("a"), Error);
  EXPECT_THROW(Json(1).Set("a", 2), Error);
  EXPECT_THROW(Json(1).Push(2), Error);
}

}  // namespace
}  // namespace latent
