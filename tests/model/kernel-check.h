/* Shared by the op-level kernel tests (test-kernels.c runs test-kernels-forward.c's and
 * test-kernels-backward.c's): tensors at an offset inside a larger buffer whose guard cells
 * hold a sentinel, a normalized comparison against a double-precision CPU reference, and
 * central differences. */
#pragma once

#include "ms-test.h"

/* A float tensor of N elements at element offset OFF of its own buffer; the OFF cells before it
 * and KC_GUARD cells after it hold a NaN sentinel, so a kernel that writes outside the tensor
 * changes them and one that reads outside it turns its output into NaN. */
typedef struct {
  MsBuffer *buf;
  int off;
  gsize n;
  gsize total;   /* off + n + KC_GUARD */
} KcTensor;

#define KC_GUARD 67

/* INIT may be NULL (the tensor then starts as zeros). */
KcTensor *kc_tensor_new (const float *init, gsize n, gsize off);
/* Reads the tensor back (g_free it) after checking that every guard cell is unchanged. */
float *kc_tensor_read (const KcTensor *t, const char *what);
void kc_tensor_free (KcTensor *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcTensor, kc_tensor_free)

/* An int buffer holding X (N). */
MsBuffer *kc_ints_new (const int *x, gsize n);
/* Launches row kernel KERNEL over ROWS rows in the shape its name asks for, whatever the
 * device: NAME_cpu with one work-item per row, NAME with one 64-wide work-group per row (so
 * the GPU variant is tested on CPU devices too). Arguments as ms_run's. */
void kc_run_rows (const char *kernel, gsize rows, ...);
/* Waits for the device and fails the test on a pending error. */
void kc_finish (void);

float *kc_normal (MsTestRng *r, gsize n, float scale);
double *kc_widen (const float *x, gsize n);
double kc_max_abs (const double *x, gsize n);

/* NMSE bounds. One rounding per element or a short float sum gives ~1e-15; exp, log, tanh and
 * rsqrt a little more; the bugs tried on these tests gave 1e-7 to 1e+1. */
#define KC_NMSE_EXACT 1e-10
#define KC_NMSE_TRANS 1e-9

/* Compares a kernel's output with a double reference: fails when the normalized error
 * sum((got - want)^2) / sum(want^2) exceeds NMSE_TOL or any |got - want| exceeds ABS_TOL, and
 * reports both figures under WHAT. Returns the NMSE. */
double kc_compare (const char *what, const float *got, const double *want, gsize n,
                   double nmse_tol, double abs_tol);
/* Bitwise equality, for kernels that only copy. */
void kc_compare_exact (const char *what, const float *got, const float *want, gsize n);

/* A scalar loss of the double inputs held in CTX. */
typedef double (*KcLossFn) (gconstpointer ctx);

/* Central differences of LOSS with respect to X[i] for the COUNT indices in IDX (X is one of
 * the inputs LOSS reads through CTX; each is restored), against GRAD (N, from the kernel).
 * The error of each is |grad - fd| / (|fd| + rms(GRAD) / 100): relative, but not for the
 * gradients far below the tensor's scale, where float rounding is all there is. Fails above
 * TOL; returns the worst. */
double kc_check_fd (const char *what, KcLossFn loss, gconstpointer ctx, double *x,
                    const float *grad, gsize n, const gsize *idx, guint count, double tol);
/* Logits (N, Vp) for the cross-entropy kernels, and their TARGETS (N): random rows and, by
 * row index modulo 8, an ignored target, all-equal logits, a 1e4 logit off and on the target,
 * -inf logits, the last and the first target; the padding [V, Vp) holds 1e30, never to count. */
float *kc_make_logits (MsTestRng *r, int N, int V, int Vp, int *targets);
/* COUNT indices below N drawn at random, then the ones in EXTRA (EXTRA_N of them). */
gsize *kc_pick (MsTestRng *r, gsize n, guint count, const gsize *extra, guint extra_n);

/* Registration of each file's test cases. */
void kc_add_forward_tests (void);
void kc_add_backward_tests (void);
