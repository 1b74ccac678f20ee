// Registry entries of the model variants, one per file in models/.
#pragma once

#include "models/model.h"

namespace latent {

ModelInfo AeInfo();   // models/ae.cc
ModelInfo VaeInfo();  // models/vae.cc
ModelInfo OvercompleteAeInfo();  // models/overcomplete_ae.cc
ModelInfo DeepAeInfo();          // models/deep_ae.cc
ModelInfo SparseAeInfo();        // models/sparse_ae.cc
ModelInfo DenoisingAeInfo();     // models/denoising_ae.cc
ModelInfo ContractiveAeInfo();   // models/contractive_ae.cc
ModelInfo BetaVaeInfo();         // models/beta_vae.cc
ModelInfo CvaeInfo();            // models/cvae.cc
ModelInfo ConvAeInfo();          // models/conv_ae.cc
ModelInfo ConvVaeInfo();         // models/conv_vae.cc

}  // namespace latent
