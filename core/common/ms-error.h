/* memscope's error domain. The library reports every failure through a GError in this domain
 * (or GIO's / GLib's own for file errors); it never exits or aborts on bad input. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_ERROR (ms_error_quark ())
GQuark ms_error_quark (void);

typedef enum {
  MS_ERROR_CL,          /* an OpenCL call failed; the message names the call and error */
  MS_ERROR_BLAS,        /* a GEMM backend failed */
  MS_ERROR_NO_DEVICE,   /* no device matches the selector */
  MS_ERROR_FORMAT,      /* a file is malformed: wrong magic, truncated, bad JSON, ... */
  MS_ERROR_MISMATCH,    /* files are individually fine but do not fit together */
  MS_ERROR_INVALID,     /* an argument or setting is out of range */
  MS_ERROR_IO,          /* reading or writing failed */
  MS_ERROR_CANCELLED,   /* the user or a signal stopped the work */
} MsErrorCode;

G_END_DECLS
