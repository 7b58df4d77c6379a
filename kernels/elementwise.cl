/* Elementwise kernels: fills, copies, scaled adds. */

/* x[off + i] = value for i < n */
__kernel void
fill (__global float *x, int off, int n, float value)
{
  int i = get_global_id (0);
  if (i < n)
    x[off + i] = value;
}

/* y[yo + i] = a * x[xo + i] + b * y[yo + i] */
__kernel void
axpby (__global const float *x, int xo, __global float *y, int yo, int n, float a, float b)
{
  int i = get_global_id (0);
  if (i < n)
    y[yo + i] = a * x[xo + i] + b * y[yo + i];
}
