/* The MS_ERROR quark. */
#include "ms-error.h"

G_DEFINE_QUARK (memscope-error-quark, ms_error)
