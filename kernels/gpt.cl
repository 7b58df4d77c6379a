/* GPT-2 forward kernels: embeddings, LayerNorm, bias + GELU, residual adds, causal softmax of
 * attention scores, the attention of a decode step against a KV cache, cross-entropy and
 * greedy argmax. GEMMs are not here: they go through the GEMM backends. Every tensor is a
 * (buffer, element offset) pair so one device buffer can hold many tensors. */

/* Segments: seg (B, T) holds, for each position, the key position where its segment (the
 * sequence it belongs to) starts. A segment sees only itself and its positions count from 0
 * at its start, so several examples packed into one row behave as if each were alone, and
 * left padding is a row whose pads are one-token segments.
 *
 * out (B, T, C) = wte[tokens] + wpe[positions], token t at position pos0 + t - seg[b, t]. */
__kernel void
encoder_forward (__global float *out, int oo, __global const int *tokens,
                 __global const int *seg, __global const float *wte, int wteo,
                 __global const float *wpe, int wpeo, int B, int T, int C, int pos0)
{
  int i = get_global_id (0);
  if (i >= B * T * C)
    return;
  int c = i % C, bt = i / C;
  int t = bt % T;
  int pos = max (pos0 + t - seg[bt], 0);
  out[oo + i] = wte[wteo + tokens[bt] * C + c] + wpe[wpeo + pos * C + c];
}

/* One work-item per row of N rows of C: out = (x - mean) * rstd * w + b, saving mean and rstd
 * for the backward pass. eps = 1e-5 as in GPT-2. */
__kernel void
layernorm_forward (__global float *out, int oo, __global float *mean, int mo,
                   __global float *rstd, int ro, __global const float *inp, int io,
                   __global const float *w, int wo, __global const float *bias, int bo,
                   int N, int C)
{
  int n = get_global_id (0);
  if (n >= N)
    return;
  __global const float *x = inp + io + n * C;
  float m = 0.0f;
  for (int c = 0; c < C; c++)
    m += x[c];
  m /= C;
  float v = 0.0f;
  for (int c = 0; c < C; c++)
    {
      float d = x[c] - m;
      v += d * d;
    }
  float s = rsqrt (v / C + 1e-5f);
  __global float *o = out + oo + n * C;
  for (int c = 0; c < C; c++)
    o[c] = (x[c] - m) * s * w[wo + c] + bias[bo + c];
  mean[mo + n] = m;
  rstd[ro + n] = s;
}

/* x (N, OC) += bias (OC) */
__kernel void
bias_add (__global float *x, int xo, __global const float *bias, int bo, int N, int OC)
{
  int i = get_global_id (0);
  if (i < N * OC)
    x[xo + i] += bias[bo + i % OC];
}

/* h (N, OC) += bias; g = GELU(h) with GPT-2's tanh approximation. */
__kernel void
bias_gelu_forward (__global float *h, int ho, __global float *g, int go,
                   __global const float *bias, int bo, int N, int OC)
{
  int i = get_global_id (0);
  if (i >= N * OC)
    return;
  float x = h[ho + i] + bias[bo + i % OC];
  h[ho + i] = x;
  float cube = 0.044715f * x * x * x;
  g[go + i] = 0.5f * x * (1.0f + tanh (GELU_SCALE * (x + cube)));
}

/* out (N, OC) = res + x + bias: the projection's bias and the residual connection at once. */
__kernel void
residual_bias_forward (__global float *out, int oo, __global const float *res, int ro,
                       __global const float *x, int xo, __global const float *bias, int bo,
                       int N, int OC)
{
  int i = get_global_id (0);
  if (i < N * OC)
    out[oo + i] = res[ro + i] + x[xo + i] + bias[bo + i % OC];
}

/* Rows of att (B, NH, Tq, Tk) hold raw scores q·k; turn each into causal softmax
 * probabilities of scale * score. Query i of row b sits at key position pos0 + i and sees the
 * keys of its segment up to itself: seg[b, i] <= j <= pos0 + i (seg is (B, Tq)). */
__kernel void
attention_softmax (__global float *att, int ao, __global const int *seg, int B, int NH,
                   int Tq, int Tk, int pos0, float scale)
{
  int r = get_global_id (0);
  if (r >= B * NH * Tq)
    return;
  int i = r % Tq, b = r / (NH * Tq);
  int last = pos0 + i;
  int first = min (seg[b * Tq + i], last);
  __global float *row = att + ao + r * Tk;
  float mx = -INFINITY;
  for (int j = first; j <= last; j++)
    mx = fmax (mx, row[j] * scale);
  float sum = 0.0f;
  for (int j = first; j <= last; j++)
    {
      float e = exp (row[j] * scale - mx);
      row[j] = e;
      sum += e;
    }
  float inv = 1.0f / sum;
  for (int j = 0; j < Tk; j++)
    row[j] = (j >= first && j <= last) ? row[j] * inv : 0.0f;
}

/* Copies the keys and values of Tq new positions from qkv (B, Tq, 3C) into the cache
 * (B, maxT, 2C) at positions pos0 .. pos0 + Tq - 1. */
__kernel void
kv_store (__global float *cache, int co, __global const float *qkv, int qo, int B, int Tq,
          int C, int maxT, int pos0)
{
  int i = get_global_id (0);
  if (i >= B * Tq * 2 * C)
    return;
  int c = i % (2 * C), bt = i / (2 * C), b = bt / Tq, t = bt % Tq;
  cache[co + (b * maxT + pos0 + t) * 2 * C + c] = qkv[qo + bt * 3 * C + C + c];
}

/* Scores of one new query per row against the cached keys: att (B, NH, Tk) = q·k, where
 * q comes from qkv (B, 3C) and keys from cache (B, maxT, 2C). */
__kernel void
attention_decode_scores (__global float *att, int ao, __global const float *qkv, int qo,
                         __global const float *cache, int co, int B, int NH, int hs, int maxT,
                         int Tk)
{
  int i = get_global_id (0);
  if (i >= B * NH * Tk)
    return;
  int j = i % Tk, h = (i / Tk) % NH, b = i / (NH * Tk);
  int C = NH * hs;
  __global const float *q = qkv + qo + b * 3 * C + h * hs;
  __global const float *k = cache + co + (b * maxT + j) * 2 * C + h * hs;
  float s = 0.0f;
  for (int d = 0; d < hs; d++)
    s += q[d] * k[d];
  att[ao + i] = s;
}

/* y (B, C) = att (B, NH, Tk) · values of the cache (B, maxT, 2C), per head. */
__kernel void
attention_decode_values (__global float *y, int yo, __global const float *att, int ao,
                         __global const float *cache, int co, int B, int NH, int hs, int maxT,
                         int Tk)
{
  int i = get_global_id (0);
  int C = NH * hs;
  if (i >= B * C)
    return;
  int c = i % C, b = i / C, h = c / hs;
  __global const float *p = att + ao + (b * NH + h) * Tk;
  __global const float *v = cache + co + b * maxT * 2 * C + C + c;
  float s = 0.0f;
  for (int j = 0; j < Tk; j++)
    s += p[j] * v[j * 2 * C];
  y[yo + i] = s;
}

/* Work-group per row of logits (N, Vp): loss = logsumexp(logits[0:V]) - logits[target];
 * targets < 0 are ignored (loss 0), like PyTorch's ignore_index. */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
crossentropy_forward (__global float *losses, int lo, __global const float *logits, int go,
                      __global const int *targets, int N, int V, int Vp)
{
  __local float red[ROW_WG];
  int n = get_group_id (0), l = get_local_id (0);
  __global const float *x = logits + go + n * Vp;
  float2 ms = wg_logsumexp_parts (x, V, red);
  if (l == 0 && n < N)
    {
      int t = targets[n];
      losses[lo + n] = t < 0 ? 0.0f : ms.x + log (ms.y) - x[t];
    }
}

/* Work-group per row of logits (N, stride Vp): the index of the largest of the first V,
 * lowest index on ties (as torch.argmax). */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
argmax_rows (__global int *out, __global const float *logits, int go, int N, int V, int Vp)
{
  __local float best[ROW_WG];
  __local int where[ROW_WG];
  int n = get_group_id (0), l = get_local_id (0);
  __global const float *x = logits + go + n * Vp;
  float b = -INFINITY;
  int w = V;
  for (int v = l; v < V; v += ROW_WG)
    if (x[v] > b || (w == V && x[v] == b))
      {
        b = x[v];
        w = v;
      }
  best[l] = b;
  where[l] = w;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int s = ROW_WG / 2; s > 0; s >>= 1)
    {
      if (l < s && (best[l + s] > best[l] || (best[l + s] == best[l] && where[l + s] < where[l])))
        {
          best[l] = best[l + s];
          where[l] = where[l + s];
        }
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  if (l == 0 && n < N)
    out[n] = where[0] < V ? where[0] : 0;
}
