// Registry entries of the model variants, one per file in models/.
#pragma once

#include "models/model.h"

namespace latent {

ModelInfo AeInfo();   // models/ae/ae.cc
ModelInfo VaeInfo();  // models/vae/vae.cc
ModelInfo OvercompleteAeInfo();  // models/ae/overcomplete_ae.cc
ModelInfo DeepAeInfo();          // models/ae/deep_ae.cc
ModelInfo SparseAeInfo();        // models/ae/sparse_ae.cc
ModelInfo DenoisingAeInfo();     // models/ae/denoising_ae.cc
ModelInfo ContractiveAeInfo();   // models/ae/contractive_ae.cc
ModelInfo BetaVaeInfo();         // models/vae/beta_vae.cc
ModelInfo CvaeInfo();            // models/vae/cvae.cc
ModelInfo ConvAeInfo();          // models/ae/conv_ae.cc
ModelInfo ConvVaeInfo();         // models/vae/conv_vae.cc
ModelInfo IwaeInfo();            // models/vae/iwae.cc
ModelInfo VampVaeInfo();         // models/vae/vamp_vae.cc
ModelInfo GmmVaeInfo();          // models/vae/gmm_vae.cc

}  // namespace latent
