/* GPT-2 backward kernels. Parameter gradients accumulate (+=) so that gradient accumulation
 * over micro-batches needs no extra pass; every reduction over rows runs in a fixed order in
 * one work-item per output, so gradients are bitwise reproducible on a device. */

/* Work-group per row of logits (N, Vp), in place: dlogits = (softmax - onehot(target)) * scale
 * for the first V entries, 0 for the padding and for rows whose target is ignored (< 0). */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
crossentropy_backward (__global float *logits, int go, __global const int *targets, int N,
                       int V, int Vp, float scale)
{
  __local float red[ROW_WG];
  int n = get_group_id (0), l = get_local_id (0);
  __global float *x = logits + go + n * Vp;
  int t = targets[n];
  float2 ms = wg_logsumexp_parts (x, V, red);
  float mx = ms.x;
  float inv = 1.0f / ms.y;
  float g = t < 0 ? 0.0f : scale;
  for (int v = l; v < Vp; v += ROW_WG)
    x[v] = v < V ? g * (exp (x[v] - mx) * inv - (v == t ? 1.0f : 0.0f)) : 0.0f;
}

/* dbias (OC) += column sums of dout (N, OC). */
__kernel void
bias_backward (__global float *dbias, int dbo, __global const float *dout, int doo, int N, int OC)
{
  int o = get_global_id (0);
  if (o >= OC)
    return;
  float s = 0.0f;
  for (int n = 0; n < N; n++)
    s += dout[doo + n * OC + o];
  dbias[dbo + o] += s;
}

/* d (N, OC) = dgelu (N, OC) * GELU'(h), in place over dgelu. */
__kernel void
gelu_backward (__global float *d, int dof, __global const float *h, int ho, int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  float x = h[ho + i];
  float cube = 0.044715f * x * x * x;
  /* Past |u| = 10 tanh is +-1 in float; PoCL's stops one ulp short, which 1 - th * th and the
   * x^3 factor below would turn into an error growing as x^3 (7.4 instead of 1 at x = 1000). */
  float u = GELU_SCALE * (x + cube), th = fabs (u) > 10.0f ? sign (u) : tanh (u);
  float sech2 = 1.0f - th * th;
  float local_grad = 0.5f * (1.0f + th)
                     + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
  d[dof + i] *= local_grad;
}

/* One work-item per row: dinp (N, C) += LayerNorm's input gradient, from dout, the input and
 * the saved mean and rstd. */
__kernel void
layernorm_backward_input (__global float *dinp, int dio, __global const float *dout, int doo,
                          __global const float *inp, int io, __global const float *mean, int mo,
                          __global const float *rstd, int ro, __global const float *w, int wo,
                          int N, int C)
{
  int n = get_global_id (0);
  if (n >= N)
    return;
  __global const float *x = inp + io + n * C, *dy = dout + doo + n * C;
  float m = mean[mo + n], s = rstd[ro + n];
  float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
  for (int c = 0; c < C; c++)
    {
      float dnorm = w[wo + c] * dy[c];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * (x[c] - m) * s;
    }
  dnorm_mean /= C;
  dnorm_norm_mean /= C;
  __global float *dx = dinp + dio + n * C;
  for (int c = 0; c < C; c++)
    {
      float norm = (x[c] - m) * s;
      float dnorm = w[wo + c] * dy[c];
      dx[c] += s * (dnorm - dnorm_mean - norm * dnorm_norm_mean);
    }
}

/* One work-item per channel: dw (C) += sum_n dout * norm, db (C) += sum_n dout. */
__kernel void
layernorm_backward_params (__global float *dw, int dwo, __global float *db, int dbo,
                           __global const float *dout, int doo, __global const float *inp,
                           int io, __global const float *mean, int mo,
                           __global const float *rstd, int ro, int N, int C)
{
  int c = get_global_id (0);
  if (c >= C)
    return;
  float sw = 0.0f, sb = 0.0f;
  for (int n = 0; n < N; n++)
    {
      float dy = dout[doo + n * C + c];
      sw += dy * (inp[io + n * C + c] - mean[mo + n]) * rstd[ro + n];
      sb += dy;
    }
  dw[dwo + c] += sw;
  db[dbo + c] += sb;
}

/* In place over datt (B, NH, Tq, Tk): the gradient of the scores through the softmax,
 * d = scale * att * (datt - sum_j att * datt). Masked entries have att = 0, so d = 0. */
__kernel void
attention_softmax_backward (__global float *datt, int dao, __global const float *att, int ao,
                            int rows, int Tk, float scale)
{
  int r = get_global_id (0);
  if (r >= rows)
    return;
  __global const float *p = att + ao + r * Tk;
  __global float *d = datt + dao + r * Tk;
  float dot = 0.0f;
  for (int j = 0; j < Tk; j++)
    dot += p[j] * d[j];
  for (int j = 0; j < Tk; j++)
    d[j] = scale * p[j] * (d[j] - dot);
}

/* One work-item per channel: dwte[token] += dout and dwpe[position] += dout, walking the
 * rows in order so that repeated tokens accumulate without atomics, deterministically. */
__kernel void
encoder_backward (__global float *dwte, int dteo, __global float *dwpe, int dpeo,
                  __global const float *dout, int doo, __global const int *tokens,
                  __global const int *seg, int B, int T, int C)
{
  int c = get_global_id (0);
  if (c >= C)
    return;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      {
        float g = dout[doo + (b * T + t) * C + c];
        int pos = max (t - seg[b * T + t], 0);
        dwte[dteo + tokens[b * T + t] * C + c] += g;
        dwpe[dpeo + pos * C + c] += g;
      }
}

/* Partial sums of squares for the global gradient norm: work-group g sums a fixed slice. */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
sum_squares (__global float *partial, int po, __global const float *x, int xo, int n)
{
  __local float red[ROW_WG];
  int g = get_group_id (0), l = get_local_id (0), groups = get_num_groups (0);
  int chunk = (n + groups - 1) / groups;
  int lo = g * chunk, hi = min (n, lo + chunk);
  float s = 0.0f;
  for (int i = lo + l; i < hi; i += ROW_WG)
    {
      float v = x[xo + i];
      s += v * v;
    }
  red[l] = s;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int k = ROW_WG / 2; k > 0; k >>= 1)
    {
      if (l < k)
        red[l] += red[l + k];
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  if (l == 0)
    partial[po + g] = red[0];
}

/* AdamW as torch.optim.AdamW computes it: decoupled weight decay first, then the Adam step
 * with bias corrections; g is multiplied by grad_scale (clipping) before use. */
__kernel void
adamw_update (__global float *p, __global const float *grad, __global float *m,
              __global float *v, int off, int n, float lr, float beta1, float beta2, float eps,
              float weight_decay, float bias_correction1, float bias_correction2_sqrt,
              float grad_scale)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  i += off;
  float g = grad[i] * grad_scale;
  float mi = beta1 * m[i] + (1.0f - beta1) * g;
  float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  float w = p[i] * (1.0f - lr * weight_decay);
  float denom = sqrt (vi) / bias_correction2_sqrt + eps;
  p[i] = w - (lr / bias_correction1) * (mi / denom);
}
