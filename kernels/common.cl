/* Helpers shared by every kernel file; compiled first, into one program with the others.
 * Conventions: tensors are float buffers addressed by an element offset passed beside the
 * buffer (one device buffer is carved into many tensors), shapes in comments as (B, T, C). */

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */

/* Work-group size of the kernels that reduce one row per work-group. */
#define ROW_WG 64

/* For a work-group of ROW_WG work-items sharing row X[0..V): the row's maximum and the sum of
 * exp (x - max), returned to every work-item (RED: ROW_WG floats of local memory). */
static float2
wg_logsumexp_parts (__global const float *x, int V, __local float *red)
{
  int l = get_local_id (0);
  float mx = -INFINITY;
  for (int v = l; v < V; v += ROW_WG)
    mx = fmax (mx, x[v]);
  red[l] = mx;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int s = ROW_WG / 2; s > 0; s >>= 1)
    {
      if (l < s)
        red[l] = fmax (red[l], red[l + s]);
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  mx = red[0];
  barrier (CLK_LOCAL_MEM_FENCE);
  float sum = 0.0f;
  for (int v = l; v < V; v += ROW_WG)
    sum += exp (x[v] - mx);
  red[l] = sum;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int s = ROW_WG / 2; s > 0; s >>= 1)
    {
      if (l < s)
        red[l] += red[l + s];
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  sum = red[0];
  barrier (CLK_LOCAL_MEM_FENCE);
  return (float2) (mx, sum);
}
