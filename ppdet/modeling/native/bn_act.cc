// BatchNorm (NCHW, float32) fused with the activation that follows it, on the CPU, in parallel
// over channels (OpenMP) on large maps; each channel is one thread's, so results do not depend
// on the thread count.
//
// Separately, BatchNorm and the activation each stream the whole map through memory in the
// forward and again in the backward (the activation's gradient kernel alone costs several
// times its forward). Fused, training takes two read passes and one write pass each way, and
// the backward recomputes the pre-activation from the saved input instead of keeping it.
//
// act: 0 none, 1 relu, 2 leaky relu (slope alpha), 3 relu6.
#include <cmath>
#include <vector>

#include "affine_act.h"
#include "paddle/extension.h"
#include "tensor_checks.h"

namespace {

// x [N, C, H, W], four per-channel vectors of C values, a known activation.
void CheckNorm(const paddle::Tensor& x, const paddle::Tensor& a, const char* a_name,
               const paddle::Tensor& b, const char* b_name, const paddle::Tensor& c,
               const char* c_name, const paddle::Tensor& d, const char* d_name, int act) {
  CheckFloatTensor(x, "X", 4);
  const int64_t channels = x.shape()[1];
  CheckChannelVector(a, a_name, channels);
  CheckChannelVector(b, b_name, channels);
  CheckChannelVector(c, c_name, channels);
  CheckChannelVector(d, d_name, channels);
  CheckActivation(act);
}

// derivative of the activation at pre-activation z, as Paddle's grad kernels define it
inline float ActGrad(float z, int act, float alpha) {
  switch (act) {
    case 1: return z > 0.f ? 1.f : 0.f;
    case 2: return z > 0.f ? 1.f : alpha;
    case 3: return (z > 0.f && z < 6.f) ? 1.f : 0.f;
    default: return 1.f;
  }
}

// y = act((x - mu) * a + b) over one channel of all images
void ScaleShiftAct(const float* x, float mj, float aj, float bj, int64_t n, int64_t c,
                   int64_t hw, int64_t j, int act, float alpha, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    AffineActRow(x + (i * c + j) * hw, hw, mj, aj, bj, act, alpha, y + (i * c + j) * hw);
  }
}

}  // namespace

// Training forward: batch statistics, running statistics updated in place (momentum as in
// Paddle: running = momentum * running + (1 - momentum) * batch, biased batch variance).
std::vector<paddle::Tensor> BnActTrain(const paddle::Tensor& x, const paddle::Tensor& gamma,
                                       const paddle::Tensor& beta,
                                       const paddle::Tensor& running_mean,
                                       const paddle::Tensor& running_var, float momentum,
                                       float epsilon, int act, float alpha) {
  CheckNorm(x, gamma, "Gamma", beta, "Beta", running_mean, "RunningMean", running_var,
            "RunningVar", act);
  const auto& s = x.shape();
  const int64_t n = s[0], c = s[1], hw = s[2] * s[3];
  const double m = static_cast<double>(n * hw);
  const float* xp = x.data<float>();
  auto y = paddle::empty(s, paddle::DataType::FLOAT32, x.place());
  auto mean = paddle::empty({c}, paddle::DataType::FLOAT32, x.place());
  auto invstd = paddle::empty({c}, paddle::DataType::FLOAT32, x.place());
  float* mp = mean.data<float>();
  float* ip = invstd.data<float>();
  float* rm = const_cast<float*>(running_mean.data<float>());
  float* rv = const_cast<float*>(running_var.data<float>());
  const float* gp = gamma.data<float>();
  const float* bp = beta.data<float>();
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(n * c * hw))
  for (int64_t j = 0; j < c; ++j) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float* xs = xp + (i * c + j) * hw;
#pragma omp simd reduction(+ : sum)
      for (int64_t k = 0; k < hw; ++k) sum += xs[k];
    }
    const double mu = sum / m;
    double sq = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float* xs = xp + (i * c + j) * hw;
#pragma omp simd reduction(+ : sq)
      for (int64_t k = 0; k < hw; ++k) { double d = xs[k] - mu; sq += d * d; }
    }
    const double var = sq / m;
    const float inv = static_cast<float>(1.0 / std::sqrt(var + epsilon));
    mp[j] = static_cast<float>(mu);
    ip[j] = inv;
    ScaleShiftAct(xp, mp[j], inv * gp[j], bp[j], n, c, hw, j, act, alpha, y.data<float>());
    rm[j] = momentum * rm[j] + (1.f - momentum) * mp[j];
    rv[j] = momentum * rv[j] + (1.f - momentum) * static_cast<float>(var);
  }
  return {y, mean, invstd};
}

namespace {

template <int ACT>
void BnActGradChannel(const float* xp, const float* dyp, int64_t n, int64_t c, int64_t hw,
                      int64_t j, float aj, float bj, float mu, float inv, float alpha,
                      double m, float* dxp, float* dgamma, float* dbeta) {
  double sg = 0.0, sgx = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* xs = xp + (i * c + j) * hw;
    const float* ds = dyp + (i * c + j) * hw;
#pragma omp simd reduction(+ : sg, sgx)
    for (int64_t k = 0; k < hw; ++k) {
      const float g = ds[k] * ActGrad((xs[k] - mu) * aj + bj, ACT, alpha);
      sg += g;
      sgx += g * (xs[k] - mu);
    }
  }
  *dbeta = static_cast<float>(sg);
  *dgamma = static_cast<float>(sgx * inv);
  if (dxp == nullptr) return;
  const float k2 = static_cast<float>(sg / m);
  const float k3 = static_cast<float>(sgx / m * inv * inv);
  for (int64_t i = 0; i < n; ++i) {
    const float* xs = xp + (i * c + j) * hw;
    const float* ds = dyp + (i * c + j) * hw;
    float* o = dxp + (i * c + j) * hw;
#pragma omp simd
    for (int64_t k = 0; k < hw; ++k) {
      const float g = ds[k] * ActGrad((xs[k] - mu) * aj + bj, ACT, alpha);
      o[k] = aj * (g - k2 - (xs[k] - mu) * k3);
    }
  }
}

}  // namespace

// Backward of BnActTrain. g = dy * act'(z), z recomputed from x exactly as the forward did.
// dx = gamma * invstd * (g - mean(g) - xhat * mean(g * xhat)).
std::vector<paddle::Tensor> BnActTrainGrad(const paddle::Tensor& x, const paddle::Tensor& gamma,
                                           const paddle::Tensor& beta,
                                           const paddle::Tensor& mean,
                                           const paddle::Tensor& invstd,
                                           const paddle::Tensor& dy, int act, float alpha) {
  CheckNorm(x, gamma, "Gamma", beta, "Beta", mean, "Mean", invstd, "InvStd", act);
  CheckFloatTensor(dy, "DY", 4);
  PD_CHECK(dy.shape() == x.shape(), "ppdet batch norm: DY must have the shape of X");
  const auto& s = x.shape();
  const int64_t n = s[0], c = s[1], hw = s[2] * s[3];
  const double m = static_cast<double>(n * hw);
  const float* xp = x.data<float>();
  const float* dyp = dy.data<float>();
  const float* gp = gamma.data<float>();
  const float* bp = beta.data<float>();
  const float* mp = mean.data<float>();
  const float* ip = invstd.data<float>();
  auto dx = paddle::empty(s, paddle::DataType::FLOAT32, x.place());
  auto dgamma = paddle::empty({c}, paddle::DataType::FLOAT32, x.place());
  auto dbeta = paddle::empty({c}, paddle::DataType::FLOAT32, x.place());
  float* dxp = dx.data<float>();
  float* dgp = dgamma.data<float>();
  float* dbp = dbeta.data<float>();
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(n * c * hw))
  for (int64_t j = 0; j < c; ++j) {
    const float aj = ip[j] * gp[j];
    const float bj = bp[j];
    switch (act) {
      case 1: BnActGradChannel<1>(xp, dyp, n, c, hw, j, aj, bj, mp[j], ip[j], alpha, m, dxp, dgp + j, dbp + j); break;
      case 2: BnActGradChannel<2>(xp, dyp, n, c, hw, j, aj, bj, mp[j], ip[j], alpha, m, dxp, dgp + j, dbp + j); break;
      case 3: BnActGradChannel<3>(xp, dyp, n, c, hw, j, aj, bj, mp[j], ip[j], alpha, m, dxp, dgp + j, dbp + j); break;
      default: BnActGradChannel<0>(xp, dyp, n, c, hw, j, aj, bj, mp[j], ip[j], alpha, m, dxp, dgp + j, dbp + j);
    }
  }
  return {dx, dgamma, dbeta};
}

// Inference: y = act(x * a + b) with a = gamma / sqrt(var + eps), b = beta - mean * a.
std::vector<paddle::Tensor> BnActInfer(const paddle::Tensor& x, const paddle::Tensor& gamma,
                                       const paddle::Tensor& beta, const paddle::Tensor& mean,
                                       const paddle::Tensor& var, float epsilon, int act,
                                       float alpha) {
  CheckNorm(x, gamma, "Gamma", beta, "Beta", mean, "Mean", var, "Var", act);
  const auto& s = x.shape();
  const int64_t n = s[0], c = s[1], hw = s[2] * s[3];
  auto y = paddle::empty(s, paddle::DataType::FLOAT32, x.place());
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(n * c * hw))
  for (int64_t j = 0; j < c; ++j) {
    const float aj = gamma.data<float>()[j] / std::sqrt(var.data<float>()[j] + epsilon);
    ScaleShiftAct(x.data<float>(), mean.data<float>()[j], aj, beta.data<float>()[j], n, c, hw, j,
                  act, alpha, y.data<float>());
  }
  return {y};
}

PD_BUILD_OP(ppdet_bn_act_train)
    .Inputs({"X", "Gamma", "Beta", "RunningMean", "RunningVar"})
    .Outputs({"Y", "Mean", "InvStd"})
    .Attrs({"momentum: float", "epsilon: float", "act: int", "alpha: float"})
    .SetKernelFn(PD_KERNEL(BnActTrain));

PD_BUILD_OP(ppdet_bn_act_train_grad)
    .Inputs({"X", "Gamma", "Beta", "Mean", "InvStd", "DY"})
    .Outputs({"DX", "DGamma", "DBeta"})
    .Attrs({"act: int", "alpha: float"})
    .SetKernelFn(PD_KERNEL(BnActTrainGrad));

PD_BUILD_OP(ppdet_bn_act_infer)
    .Inputs({"X", "Gamma", "Beta", "Mean", "Var"})
    .Outputs({"Y"})
    .Attrs({"epsilon: float", "act: int", "alpha: float"})
    .SetKernelFn(PD_KERNEL(BnActInfer));
