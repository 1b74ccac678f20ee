#include "models/train/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "kernels/error.h"

namespace latent {
namespace {

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::vector<std::string> SplitCells(const std::string& line) {
  std::vector<std::string> cells(1);
  for (char c : line) {
    if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

// The text of a whole cell as a number: strtod must consume all of it.
double ParseCell(const std::string& cell, const std::string& where) {
  const char* begin = cell.c_str();
  char* end = nullptr;
  errno = 0;
  const double value = cell.empty() ? 0.0 : std::strtod(begin, &end);
  LATENT_CHECK(!cell.empty() && end == begin + cell.size() && errno != ERANGE, where,
               ": expected a number, found '", cell, "'");
  return value;
}

}  // namespace

std::string MetricsCsv(const std::vector<EpochMetrics>& history) {
  if (history.empty()) return "";
  const bool val = history.front().val.has_value();
  std::string out = "epoch,train_loss,test_loss";
  if (val) out += ",val_loss";
  for (const auto& [name, v] : history.front().train.parts) {
    out += ",train_" + name + ",test_" + name;
    if (val) out += ",val_" + name;
  }
  out += ",seconds\n";
  for (const EpochMetrics& m : history) {
    LATENT_CHECK(m.val.has_value() == val, "metrics of epoch ", m.epoch, ": expected ",
                 val ? "a validation loss as epoch 1 has" : "no validation loss as epoch 1",
                 ", found ", val ? "none" : "one");
    out += std::to_string(m.epoch) + ',' + Number(m.train.loss) + ',' + Number(m.test.loss);
    if (val) out += ',' + Number(m.val->loss);
    for (const auto& [name, v] : m.train.parts) {
      out += ',' + Number(v) + ',' + Number(m.test.parts.at(name));
      if (val) out += ',' + Number(m.val->parts.at(name));
    }
    out += ',' + Number(m.seconds) + '\n';
  }
  return out;
}

std::vector<EpochMetrics> ParseMetricsCsv(const std::string& text, const std::string& source) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    LATENT_CHECK(end != std::string::npos, source, " line ", lines.size() + 1,
                 ": expected the line to end with a newline, found the end of the file");
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  std::vector<EpochMetrics> history;
  if (lines.empty()) return history;

  // The header: epoch,train_loss,test_loss[,val_loss], then groups train_X,test_X[,val_X], then
  // seconds.
  const std::vector<std::string> header = SplitCells(lines[0]);
  const std::string expected_form =
      "expected a header 'epoch,train_loss,test_loss[,val_loss][,train_PART,test_PART"
      "[,val_PART]]...,seconds'";
  const bool val = header.size() > 3 && header[3] == "val_loss";
  const size_t group = val ? 3 : 2;        // columns per part
  const size_t first = val ? 4 : 3;        // the first part's column
  LATENT_CHECK(header.size() >= first + 1 && (header.size() - first - 1) % group == 0 &&
                   header[0] == "epoch" && header[1] == "train_loss" &&
                   header[2] == "test_loss" && header.back() == "seconds",
               source, " line 1: ", expected_form, ", found '", lines[0], "'");
  std::vector<std::string> parts;
  for (size_t c = first; c + 1 < header.size(); c += group) {
    const std::string name = header[c].substr(header[c].find('_') + 1);
    const bool named = header[c] == "train_" + name && header[c + 1] == "test_" + name &&
                       (!val || header[c + 2] == "val_" + name) && !name.empty();
    LATENT_CHECK(named, source, " line 1: ", expected_form, ", found columns '", header[c],
                 "' and '", header[c + 1], val ? "' and '" + header[c + 2] : std::string(),
                 "'");
    LATENT_CHECK(std::find(parts.begin(), parts.end(), name) == parts.end(), source,
                 " line 1: expected each part once, found '", name, "' twice");
    parts.push_back(name);
  }

  for (size_t row = 1; row < lines.size(); ++row) {
    const std::string where = source + " line " + std::to_string(row + 1);
    const std::vector<std::string> cells = SplitCells(lines[row]);
    LATENT_CHECK(cells.size() == header.size(), where, ": expected ", header.size(),
                 " cells as in the header, found ", cells.size());
    EpochMetrics m;
    const double epoch = ParseCell(cells[0], where);
    LATENT_CHECK(epoch == static_cast<double>(row), where, ": expected epoch ", row,
                 " (epochs count 1, 2, 3, ...), found '", cells[0], "'");
    m.epoch = static_cast<int>(row);
    m.train.loss = ParseCell(cells[1], where);
    m.test.loss = ParseCell(cells[2], where);
    if (val) m.val = Evaluation{ParseCell(cells[3], where), {}};
    for (size_t p = 0; p < parts.size(); ++p) {
      const size_t c = first + group * p;
      m.train.parts[parts[p]] = ParseCell(cells[c], where);
      m.test.parts[parts[p]] = ParseCell(cells[c + 1], where);
      if (val) m.val->parts[parts[p]] = ParseCell(cells[c + 2], where);
    }
    m.seconds = ParseCell(cells.back(), where);
    history.push_back(m);
  }
  return history;
}

}  // namespace latent
