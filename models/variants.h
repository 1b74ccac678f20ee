// Registry entries of the model variants, one per file in models/.
#pragma once

#include "models/model.h"

namespace latent {

ModelInfo AeInfo();   // models/ae.cc
ModelInfo VaeInfo();  // models/vae.cc

}  // namespace latent
