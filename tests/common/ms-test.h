/* Helpers shared by the tests: the device under test, seeded random data and comparisons with
 * a normalized error bound (ggml's test-backend-ops style). */
#pragma once

#include <glib.h>

#include "blas/ms-blas.h"

/* The device under test ($MEMSCOPE_DEVICE or the default), opened once per test program. */
MsDevice *ms_test_device (void);
/* g_test_run, then releases the shared test device: every test's main returns this. */
int ms_test_run (void);
/* The GEMM backend of KIND on that device, or NULL (and the test skipped) when unusable. */
MsBlas *ms_test_blas (MsBlasKind kind);

/* Deterministic pseudo-random numbers (splitmix64). */
typedef struct { guint64 s; } MsTestRng;
guint64 ms_test_rng_u64 (MsTestRng *r);
float ms_test_rng_uniform (MsTestRng *r);          /* [0, 1) */
float ms_test_rng_normal (MsTestRng *r);
void ms_test_fill_normal (MsTestRng *r, float *x, gsize n, float scale);

/* Normalized mean squared error sum((a-b)^2) / sum(b^2). */
double ms_test_nmse (const float *got, const float *want, gsize n);
double ms_test_max_abs (const float *got, const float *want, gsize n);
/* Fails the test when the max abs error exceeds TOL, naming WHAT and the worst index. */
void ms_test_assert_close (const char *what, const float *got, const float *want, gsize n,
                           double tol);

/* Path of a committed fixture (tests/fixtures/NAME). */
char *ms_test_fixture (const char *name);
/* A fresh temporary directory for this test program, removed at exit. */
const char *ms_test_tmpdir (void);
