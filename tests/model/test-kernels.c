/* The op-level kernel suite: every kernel against a double-precision CPU reference
 * (test-kernels-forward.c) and every backward kernel against that reference and against
 * central differences of a double forward (test-kernels-backward.c). */
#include "kernel-check.h"

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  kc_add_forward_tests ();
  kc_add_backward_tests ();
  return ms_test_run ();
}
