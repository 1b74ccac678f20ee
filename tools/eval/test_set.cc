#include "tools/eval/test_set.h"

#include "tools/eval/analysis.h"

namespace latent {

TestSetResult MeasureTestSet(Model& model, const Dataset& test, const Dataset& scored,
                             int64_t batch_size, uint64_t seed) {
  TestSetResult result;
  result.loss = Evaluate(model, scored, batch_size, seed);
  result.squared_error = Mean(ReconstructionErrors(model, test, batch_size));
  return result;
}

}  // namespace latent
