// The log-density of a mixture of diagonal Gaussians, the prior of vamp-vae (whose components
// are the encoder's posteriors at pseudo-inputs) and of gmm-vae (whose components are free
// parameters). For N codes against K components it is one GEMM:
//
//   log N(z; m_k, v_k) = -1/2 [ sum_d z_d^2 / v_kd - 2 z_d m_kd / v_kd + m_kd^2 / v_kd + log v_kd
//                               + log 2 pi ]
//                      = -1/2 ( [z^2 | z] [1/v_k | -2 m_k / v_k]^T + c_k )
//   log p(z) = RowLogSumExp over k of (log w_k + those (N, K) values)
#pragma once

#include "core/tensor.h"

namespace latent {

// log sum_k w_k N(z; mu_k, diag exp(logvar_k)), one per row of z (N, D); mu, logvar: (K, D).
// log_weights: (K), the log w_k; undefined for equal weights 1/K.
Tensor MixtureLogDensity(const Tensor& z, const Tensor& mu, const Tensor& logvar,
                         const Tensor& log_weights);

}  // namespace latent
