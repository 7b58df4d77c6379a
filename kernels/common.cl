/* Helpers shared by every kernel file; compiled first, into one program with the others.
 * Conventions: tensors are float buffers addressed by an element offset passed beside the
 * buffer (one device buffer is carved into many tensors), shapes in comments as (B, T, C). */

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */

/* Work-group size of the kernels that reduce one row per work-group. */
#define ROW_WG 64
