// Fuzzes ParseMetricsCsv (models/train/metrics.h), which reads a run's metrics.csv back when the
// run resumes, and checks the round trip of what it accepts: MetricsCsv writes the epochs it
// returned, and parsing that text gives the same epochs again. History that changes on its way
// through the file is a bug, so that aborts.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "models/train/metrics.h"

namespace {

// The same double, bit for bit (so 0 and -0 differ), except that any NaN equals any NaN: the
// text "nan" keeps no payload.
bool Same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

bool Same(const latent::Evaluation& a, const latent::Evaluation& b) {
  if (!Same(a.loss, b.loss) || a.parts.size() != b.parts.size()) return false;
  for (const auto& [name, value] : a.parts) {
    const auto found = b.parts.find(name);
    if (found == b.parts.end() || !Same(value, found->second)) return false;
  }
  return true;
}

bool Same(const std::vector<latent::EpochMetrics>& a, const std::vector<latent::EpochMetrics>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].epoch != b[i].epoch || !Same(a[i].train, b[i].train) || !Same(a[i].test, b[i].test) ||
        !Same(a[i].seconds, b[i].seconds))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<latent::EpochMetrics> history;
  try {
    history = latent::ParseMetricsCsv(text, "metrics.csv");
  } catch (const latent::Error&) {
    return 0;  // the expected outcome for bad bytes: a clear error
  }
  const std::string written = latent::MetricsCsv(history);
  try {
    if (Same(history, latent::ParseMetricsCsv(written, "written"))) return 0;
    std::fprintf(stderr, "metrics.csv round trip changed the epochs:\n%s", written.c_str());
  } catch (const latent::Error& e) {
    std::fprintf(stderr, "metrics.csv as written does not parse: %s\n%s", e.what(),
                 written.c_str());
  }
  std::abort();
}
