/* Analysis kernels: summaries of attention distributions (entropy, max, top-k mass, Gini) per
 * query, their reduction over query positions, the capture of chosen attention maps, and the
 * pieces of sparse coding (FISTA steps, per-row statistics, the dictionary update). GEMMs go
 * through the GEMM backends. Every tensor is a (buffer, element offset) pair. */

/* ---- attention statistics -----------------------------------------------------------------
 * Rows of att (B, NH, Tq, Tk) are query distributions; query i of row b sits at position
 * pos0 + i and sees keys starts[b] .. pos0 + i (left padding before starts[b]; those keys have
 * probability 0). A query counts when its position is at least max(starts[b], from) (from:
 * positions below it were counted by an earlier pass). Prompt queries (position < split[b])
 * leave their four statistics in qst (B, NH, Tq, 4) for attention_prompt_reduce; generated
 * ones go straight to gen (G, B, L, NH, 4) at g = position - split[b], layer LAYER.
 * One launch covers rows r0 .. r0 + nrows - 1 of the B * NH * Tq; each sorts its probabilities
 * (for the Gini coefficient and the top-k mass) in its own row of scratch (nrows, Sk). */

static float
att_sum16 (float16 v)
{
  float8 a = v.lo + v.hi;
  float4 b = a.lo + a.hi;
  float2 c = b.lo + b.hi;
  return c.x + c.y;
}

/* Where query row r's statistics go, or NULL when the query does not count. */
static __global float *
att_query_out (int r, __global const int *starts, __global const int *split, __global float *qst,
               __global float *gen, int B, int NH, int Tq, int pos0, int from, int L, int layer,
               int *first, int *n)
{
  int i = r % Tq, h = (r / Tq) % NH, b = r / (NH * Tq);
  int pos = pos0 + i;
  *first = starts[b];
  *n = pos - *first + 1;
  if (pos < max (*first, from))
    return 0;
  if (pos < split[b])
    return qst + (size_t) r * 4;
  int g = pos - split[b];
  return gen + ((((size_t) g * B + b) * L + layer) * NH + h) * 4;
}

/* The four statistics from the sum, the entropy sum -sum p log p, the sorted values' Gini sum
 * sum (2i - n + 1) p_(i), the top-k mass and the max. */
static float4
att_finish (float sum, float ent, float gini, float topk, float mx, int n)
{
  float4 o;
  o.x = n > 1 ? ent / log ((float) n) : 0.0f;
  o.y = mx;
  o.z = topk;
  o.w = sum > 0.0f ? gini / (n * sum) : 0.0f;
  return o;
}

static void
att_sift_down (__global float *a, int root, int end)
{
  float v = a[root];
  for (;;)
    {
      int c = 2 * root + 1;
      if (c >= end)
        break;
      if (c + 1 < end && a[c + 1] > a[c])
        c++;
      if (a[c] <= v)
        break;
      a[root] = a[c];
      root = c;
    }
  a[root] = v;
}

/* In-place heapsort, ascending: O(n log n) without recursion or private arrays. */
static void
att_heapsort (__global float *a, int n)
{
  for (int i = n / 2 - 1; i >= 0; i--)
    att_sift_down (a, i, n);
  for (int end = n - 1; end > 0; end--)
    {
      float t = a[0];
      a[0] = a[end];
      a[end] = t;
      att_sift_down (a, 0, end);
    }
}

/* CPU variant: one work-item per query row, float16 vectors for the entropy pass (its log is
 * the costly part), then a heapsort of the row in scratch. */
__kernel void
attention_query_stats_cpu (__global const float *att, int ao, __global const int *starts,
                           __global const int *split, __global float *scratch, int Sk,
                           __global float *qst, __global float *gen, int B, int NH, int Tq,
                           int Tk, int pos0, int from, int L, int layer, int top_k, int r0,
                           int nrows)
{
  int gid = get_global_id (0);
  if (gid >= nrows)
    return;
  int r = r0 + gid, first, n;
  __global float *out = att_query_out (r, starts, split, qst, gen, B, NH, Tq, pos0, from, L,
                                       layer, &first, &n);
  if (out == 0)
    return;
  __global const float *p = att + ao + (size_t) r * Tk + first;
  __global float *s = scratch + (size_t) gid * Sk;
  int n16 = n / 16;
  float16 vs = (float16) (0.0f), ve = (float16) (0.0f);
  for (int j = 0; j < n16; j++)
    {
      float16 v = vload16 (j, p);
      vstore16 (v, j, s);
      vs += v;
      ve += select ((float16) (0.0f), v * log (v), v > (float16) (0.0f));
    }
  float sum = att_sum16 (vs), ent = att_sum16 (ve);
  for (int j = n16 * 16; j < n; j++)
    {
      float v = p[j];
      s[j] = v;
      sum += v;
      ent += v > 0.0f ? v * log (v) : 0.0f;
    }
  att_heapsort (s, n);
  float gini = 0.0f, topk = 0.0f;
  for (int j = 0; j < n; j++)
    gini += (2 * j - n + 1) * s[j];
  for (int j = max (n - top_k, 0); j < n; j++)
    topk += s[j];
  vstore4 (att_finish (sum, -ent, gini, topk, s[n - 1], n), 0, out);
}

/* GPU variant: one work-group of ROW_WG per query row; a bitonic sort of the row, padded with
 * +inf to a power of two, in scratch (Sk >= that power). */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
attention_query_stats (__global const float *att, int ao, __global const int *starts,
                       __global const int *split, __global float *scratch, int Sk,
                       __global float *qst, __global float *gen, int B, int NH, int Tq, int Tk,
                       int pos0, int from, int L, int layer, int top_k, int r0, int nrows)
{
  __local float red[4 * ROW_WG];
  int grp = get_group_id (0), l = get_local_id (0);
  if (grp >= nrows)
    return;
  int r = r0 + grp, first, n;
  __global float *out = att_query_out (r, starts, split, qst, gen, B, NH, Tq, pos0, from, L,
                                       layer, &first, &n);
  if (out == 0)
    return;  /* the same for the whole group */
  __global const float *p = att + ao + (size_t) r * Tk + first;
  __global float *s = scratch + (size_t) grp * Sk;
  int P = 1;
  while (P < n)
    P <<= 1;
  float sum = 0.0f, ent = 0.0f;
  for (int j = l; j < P; j += ROW_WG)
    {
      float v = j < n ? p[j] : INFINITY;
      s[j] = v;
      if (j < n)
        {
          sum += v;
          ent += v > 0.0f ? v * log (v) : 0.0f;
        }
    }
  barrier (CLK_GLOBAL_MEM_FENCE);
  for (int k = 2; k <= P; k <<= 1)
    for (int m = k >> 1; m > 0; m >>= 1)
      {
        for (int x = l; x < P; x += ROW_WG)
          {
            int y = x ^ m;
            if (y > x)
              {
                float a = s[x], c = s[y];
                if ((a > c) == ((x & k) == 0))
                  {
                    s[x] = c;
                    s[y] = a;
                  }
              }
          }
        barrier (CLK_GLOBAL_MEM_FENCE);
      }
  float gini = 0.0f, topk = 0.0f;
  for (int j = l; j < n; j += ROW_WG)
    {
      gini += (2 * j - n + 1) * s[j];
      if (j >= n - top_k)
        topk += s[j];
    }
  red[l] = sum;
  red[ROW_WG + l] = ent;
  red[2 * ROW_WG + l] = gini;
  red[3 * ROW_WG + l] = topk;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int st = ROW_WG / 2; st > 0; st >>= 1)
    {
      if (l < st)
        for (int q = 0; q < 4; q++)
          red[q * ROW_WG + l] += red[q * ROW_WG + l + st];
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  if (l == 0)
    vstore4 (att_finish (red[0], -red[ROW_WG], red[2 * ROW_WG], red[3 * ROW_WG], s[n - 1], n), 0,
             out);
}

/* One work-item per (b, h): adds the statistics of the pass's prompt queries of row b, head
 * h, in position order, to sums (B, L, NH, 4) at layer LAYER. */
__kernel void
attention_prompt_reduce (__global float *sums, __global const float *qst,
                         __global const int *starts, __global const int *split, int B, int NH,
                         int Tq, int pos0, int from, int L, int layer)
{
  int bh = get_global_id (0);
  if (bh >= B * NH)
    return;
  int b = bh / NH, h = bh % NH;
  int lo = max (max (starts[b], from), pos0), hi = min (split[b], pos0 + Tq);
  float4 acc = (float4) (0.0f);
  for (int pos = lo; pos < hi; pos++)
    acc += vload4 ((size_t) bh * Tq + pos - pos0, qst);
  __global float *o = sums + (((size_t) b * L + layer) * NH + h) * 4;
  vstore4 (vload4 (0, o) + acc, 0, o);
}

/* One work-item per (b, l, h): out (B, L, NH, 2, 4) = the prompt sums (B, L, NH, 4) divided by
 * their count and the mean of generated positions g0 <= g < g1 of gen (G, B, L, NH, 4), where
 * counts (L, B, 3) holds (prompt count, g0, g1); NaN where a phase has no queries. */
__kernel void
attention_stats_finish (__global float *out, __global const float *sums,
                        __global const float *gen, __global const int *counts, int B, int L,
                        int NH)
{
  int i = get_global_id (0);
  if (i >= B * L * NH)
    return;
  int h = i % NH, l = (i / NH) % L, b = i / (L * NH);
  __global const int *c = counts + (l * B + b) * 3;
  int np = c[0], g0 = c[1], g1 = c[2];
  float4 pm = (float4) (NAN), gm = (float4) (NAN);
  if (np > 0)
    pm = vload4 (i, sums) / (float) np;
  if (g1 > g0)
    {
      float4 acc = (float4) (0.0f);
      for (int g = g0; g < g1; g++)
        acc += vload4 ((((size_t) g * B + b) * L + l) * NH + h, gen);
      gm = acc / (float) (g1 - g0);
    }
  vstore4 (pm, 2 * i, out);
  vstore4 (gm, 2 * i + 1, out);
}

/* Copies head h of row b of att (B, NH, Tq, Tk) into map (maxT, maxT) at rows pos0 .. pos0 +
 * Tq - 1, columns 0 .. Tk - 1. One work-item per element of (Tq, Tk). */
__kernel void
attention_map_store (__global float *map, int mo, __global const float *att, int ao, int NH,
                     int Tq, int Tk, int b, int h, int pos0, int maxT)
{
  int i = get_global_id (0);
  if (i >= Tq * Tk)
    return;
  int q = i / Tk, k = i % Tk;
  map[mo + (size_t) (pos0 + q) * maxT + k] = att[ao + (((size_t) b * NH + h) * Tq + q) * Tk + k];
}

/* ---- sparse coding ------------------------------------------------------------------------
 * Rows x (N, d) are coded against a dictionary of K unit atoms D (K, d) (row k = atom k):
 * minimise 1/2 |x - z D|^2 + lambda |z|_1 per row by FISTA. Workspace tensors of the coder
 * start at offset 0 of their own buffers; inputs that come from callers carry an offset. */

#define SPARSE_ACTIVE 1e-6f   /* |z| above this counts as an active atom */

/* One FISTA step over Z, Y, G (N, K) after G = (Y D - X) D^T: z = soft(y - g / L, lam[row] /
 * L) (lam (N)), y = z + momentum (z - z_previous). */
__kernel void
fista_step (__global float *z, __global float *y, __global const float *g,
            __global const float *lam, int N, int K, float inv_l, float momentum)
{
  int i = get_global_id (0);
  if (i >= N * K)
    return;
  float v = y[i] - inv_l * g[i];
  float t = lam[i / K] * inv_l;
  float s = copysign (fmax (fabs (v) - t, 0.0f), v);
  float old = z[i];
  z[i] = s;
  y[i] = s + momentum * (s - old);
}

/* Rows of out (n, d) at element oo: row i is x row (use_idx ? idx[io + i] : n0 + i) of x
 * (N, d) at element xo, minus mean (d), then scaled to unit L2 norm when unit_norm (a zero row
 * stays zero). One work-item per row. */
__kernel void
sparse_prep_rows (__global float *out, int oo, __global const float *x, int xo,
                  __global const int *idx, int io, int use_idx, int n0,
                  __global const float *mean, int unit_norm, int n, int d)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  int src = use_idx ? idx[io + i] : n0 + i;
  __global const float *xr = x + xo + (size_t) src * d;
  __global float *o = out + oo + (size_t) i * d;
  float ss = 0.0f;
  for (int c = 0; c < d; c++)
    {
      float v = xr[c] - mean[c];
      o[c] = v;
      ss += v * v;
    }
  if (unit_norm && ss > 0.0f)
    {
      float s = rsqrt (ss);
      for (int c = 0; c < d; c++)
        o[c] *= s;
    }
}

/* mean (d) = column means of x (N, d) at element xo, each summed in row order. */
__kernel void
sparse_column_mean (__global float *mean, __global const float *x, int xo, int N, int d)
{
  int c = get_global_id (0);
  if (c >= d)
    return;
  float s = 0.0f;
  for (int i = 0; i < N; i++)
    s += x[xo + (size_t) i * d + c];
  mean[c] = s / N;
}

/* Per row of the codes z (n, K), residuals r = z D - x (n, d) and rows x (n, d): out (n, 4) =
 * (active atoms, sum |z|, |r|^2, |x|^2). */
__kernel void
sparse_row_stats (__global float *out, __global const float *z, __global const float *r,
                  __global const float *x, int n, int K, int d)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  __global const float *zr = z + (size_t) i * K;
  int active = 0;
  float l1 = 0.0f, rr = 0.0f, xx = 0.0f;
  for (int k = 0; k < K; k++)
    {
      float a = fabs (zr[k]);
      active += a > SPARSE_ACTIVE;
      l1 += a;
    }
  for (int c = 0; c < d; c++)
    {
      float u = r[(size_t) i * d + c], v = x[(size_t) i * d + c];
      rr += u * u;
      xx += v * v;
    }
  vstore4 ((float4) ((float) active, l1, rr, xx), i, out);
}

/* counts (T, K) += for each task t and atom k the rows of z (n, K) with label t (labels (n),
 * or every row as task 0 when use_labels is 0) where atom k is active. Work-item per (t, k). */
__kernel void
sparse_atom_counts (__global uint *counts, __global const float *z,
                    __global const int *labels, int use_labels, int n, int K, int T)
{
  int i = get_global_id (0);
  if (i >= T * K)
    return;
  int t = i / K, k = i % K;
  uint c = 0;
  for (int r = 0; r < n; r++)
    if ((use_labels ? labels[r] : 0) == t && fabs (z[(size_t) r * K + k]) > SPARSE_ACTIVE)
      c++;
  counts[i] += c;
}

/* Power iteration step: v (m) = w / |w| for w (m), and norm[0] = |w| (each at its element
 * offset). One work-group. */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
sparse_normalize_vec (__global float *v, int vo, __global const float *w, int wo,
                      __global float *norm, int no, int m)
{
  __local float red[ROW_WG];
  int l = get_local_id (0);
  float s = 0.0f;
  for (int i = l; i < m; i += ROW_WG)
    s += w[wo + i] * w[wo + i];
  red[l] = s;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int st = ROW_WG / 2; st > 0; st >>= 1)
    {
      if (l < st)
        red[l] += red[l + st];
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  float nrm = sqrt (red[0]);
  float inv = nrm > 0.0f ? 1.0f / nrm : 0.0f;
  for (int i = l; i < m; i += ROW_WG)
    v[vo + i] = w[wo + i] * inv;
  if (l == 0)
    norm[no] = nrm;
}

/* The dictionary update of online dictionary learning (Mairal et al. 2009, Algorithm 2): one
 * pass of block-coordinate descent over the atoms of D (K, d), given the statistics
 * A = sum z^T z (K, K) and Bs = sum z^T x (K, d):
 *   u = D_j + (Bs_j - sum_k A_jk D_k) / A_jj,  D_j = u / |u|,
 * in atom order, each update seeing the ones before it. The sums come from E (K, d), which
 * holds A D for the atoms as they were before this block (the host keeps it up to date with
 * GEMMs between blocks); this kernel adds the changes dD (nb, d) of the block's own earlier
 * atoms. One work-group does the block's atoms j0 .. j0 + nb - 1 in turn; each work-item owns
 * columns c = l, l + ROW_WG, ..., so only the norm needs the group. Atoms with A_jj <= 0
 * (unused so far) are left alone. */
__kernel __attribute__ ((reqd_work_group_size (ROW_WG, 1, 1))) void
sparse_dict_block (__global float *D, __global const float *A, __global const float *Bs,
                   __global const float *E, __global float *dD, int K, int d, int j0, int nb)
{
  /* No early continue in this loop: PoCL miscompiled one around the barriers (wrong atoms,
   * heap corruption). A skipped atom gets u = 0 instead, hence a zero norm: left alone. */
  __local float red[ROW_WG];
  int l = get_local_id (0);
  for (int jj = 0; jj < nb; jj++)
    {
      int j = j0 + jj;
      __global const float *aj = A + (size_t) j * K;
      float ajj = aj[j];
      int live = ajj > 0.0f;
      float ss = 0.0f;
      for (int c = l; c < d; c += ROW_WG)
        {
          float s = E[(size_t) j * d + c];
          for (int k = 0; k < jj; k++)
            s += aj[j0 + k] * dD[(size_t) k * d + c];
          float v = live ? D[(size_t) j * d + c] + (Bs[(size_t) j * d + c] - s) / ajj : 0.0f;
          dD[(size_t) jj * d + c] = v;  /* u for now */
          ss += v * v;
        }
      red[l] = ss;
      barrier (CLK_LOCAL_MEM_FENCE);
      for (int st = ROW_WG / 2; st > 0; st >>= 1)
        {
          if (l < st)
            red[l] += red[l + st];
          barrier (CLK_LOCAL_MEM_FENCE);
        }
      float nrm = red[0];
      barrier (CLK_LOCAL_MEM_FENCE);
      float inv = nrm > 0.0f ? rsqrt (nrm) : 0.0f;
      for (int c = l; c < d; c += ROW_WG)
        {
          float old = D[(size_t) j * d + c];
          float now = nrm > 0.0f ? dD[(size_t) jj * d + c] * inv : old;
          D[(size_t) j * d + c] = now;
          dD[(size_t) jj * d + c] = now - old;
        }
    }
}

/* Forgets atom j's statistics before it is re-initialised: row and column j of A (K, K) and
 * row j of Bs (K, d) become 0. */
__kernel void
sparse_reset_atom (__global float *A, __global float *Bs, int K, int d, int j)
{
  int i = get_global_id (0);
  if (i < K)
    {
      A[(size_t) j * K + i] = 0.0f;
      A[(size_t) i * K + j] = 0.0f;
    }
  if (i < d)
    Bs[(size_t) j * d + i] = 0.0f;
}

/* ---- hidden-state capture ------------------------------------------------------------------
 * out row r (at element oo, rows of d) = the mean of the hidden states h (B * T, d) at
 * element ho over the flat positions pairs[2r] .. pairs[2r + 1] - 1 (one position: a copy).
 * One work-item per (r, c). */
__kernel void
hidden_capture_rows (__global float *out, int oo, __global const float *h, int ho,
                     __global const int *pairs, int n, int d)
{
  int i = get_global_id (0);
  if (i >= n * d)
    return;
  int r = i / d, c = i % d;
  int lo = pairs[2 * r], hi = pairs[2 * r + 1];
  float s = 0.0f;
  for (int p = lo; p < hi; p++)
    s += h[ho + (size_t) p * d + c];
  out[oo + i] = s / (hi - lo);
}
