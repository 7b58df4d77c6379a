/* OpenCL runtime: finds platforms and devices, opens one device with a context and an in-order
 * queue, builds the embedded kernels once (cached on disk per device, driver and source) and
 * launches them. Errors from enqueues are sticky, like a GPU runtime's last error: code that
 * chains many launches checks once, at ms_device_finish() or ms_device_check(). */
#pragma once

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <glib.h>
#include <stdarg.h>

#include "common/ms-error.h"

G_BEGIN_DECLS

typedef struct {
  guint index;               /* position in the flat list over all platforms */
  cl_platform_id platform;
  cl_device_id id;
  char *platform_name;
  char *name;
  char *vendor;
  char *driver_version;
  char *device_version;
  char *c_version;           /* CL_DEVICE_OPENCL_C_VERSION */
  cl_device_type type;
  guint64 global_mem_bytes;
  guint64 max_alloc_bytes;
  guint64 local_mem_bytes;
  guint compute_units;
  gsize max_work_group;
  gboolean host_unified;     /* CL_DEVICE_HOST_UNIFIED_MEMORY */
  gboolean fp64;
  gboolean fp16;
} MsDeviceInfo;

const char *ms_cl_error_name (cl_int code);
const char *ms_device_type_name (cl_device_type type);

/* Every device of every platform, as MsDeviceInfo (the array frees them). */
GPtrArray *ms_devices_list (GError **error);

/* Picks a device: SELECTOR is an index ("1"), a type ("gpu", "cpu", "accelerator", with an
 * optional ":N" for the Nth of that type), or a case-insensitive substring of
 * "platform name / device name". NULL or "" means $MEMSCOPE_DEVICE, else the default: a GPU
 * before other types, then the one with the most compute units × global memory. */
const MsDeviceInfo *ms_devices_select (GPtrArray *devices, const char *selector, GError **error);

typedef struct _MsDevice MsDevice;

struct _MsDevice {
  MsDeviceInfo *info;
  cl_context context;
  cl_command_queue queue;
  gboolean zero_copy;        /* probed: a USE_HOST_PTR buffer maps to its host pointer */
  gboolean rows_per_item;     /* row kernels: one work-item per row (CPU devices) */
  gboolean profiling;        /* queue has CL_QUEUE_PROFILING_ENABLE ($MEMSCOPE_PROFILE=1) */
  cl_program program;        /* all embedded kernels, built once */
  GHashTable *kernels;       /* name -> cl_kernel */
  GError *sticky;            /* first error of an enqueue since the last check */
  char *cache_path;          /* the program binary's cache file, for --verbose output */
  gboolean cache_hit;
  /* Set by a library that caches OpenCL objects on this context (CLBlast): called first in
   * ms_device_free, so they are released while the OpenCL runtime is alive, not by static
   * destructors at exit. */
  void (*release_caches) (void);
};

MsDevice *ms_device_open (const char *selector, GError **error);
void ms_device_free (MsDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDevice, ms_device_free)

/* A one-line description: "pthread-skylake-avx512 (Portable Computing Language, CPU, 2 CUs)". */
char *ms_device_describe (const MsDevice *dev);

/* Records ERR as the sticky error unless one is already pending (takes ownership). */
void ms_device_fail (MsDevice *dev, GError *err);
/* Records a failed OpenCL call as the sticky error; returns FALSE when CODE is not CL_SUCCESS. */
gboolean ms_device_cl_ok (MsDevice *dev, cl_int code, const char *call);
/* Moves the pending error, if any, into ERROR; FALSE when there was one. */
gboolean ms_device_check (MsDevice *dev, GError **error);
/* Waits for the queue, then reports the pending error. */
gboolean ms_device_finish (MsDevice *dev, GError **error);

/* ---- buffers ------------------------------------------------------------------------- */

typedef struct {
  cl_mem mem;
  gsize bytes;
  void *host;                /* the same memory seen by the host, on zero-copy devices; else NULL */
} MsBuffer;

MsBuffer *ms_buffer_new (MsDevice *dev, gsize bytes, GError **error);
void ms_buffer_free (MsBuffer *buf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsBuffer, ms_buffer_free)

/* Blocking copies between host memory and a buffer; offsets and sizes in bytes. */
gboolean ms_buffer_write (MsDevice *dev, MsBuffer *buf, gsize offset, const void *src, gsize bytes,
                          GError **error);
gboolean ms_buffer_read (MsDevice *dev, const MsBuffer *buf, gsize offset, void *dst, gsize bytes,
                         GError **error);
/* Enqueues a fill with zero bytes (asynchronous; errors are sticky). */
void ms_buffer_zero (MsDevice *dev, MsBuffer *buf, gsize offset, gsize bytes);
/* Enqueues a copy between buffers (asynchronous; errors are sticky). */
void ms_buffer_copy (MsDevice *dev, const MsBuffer *src, gsize src_offset, MsBuffer *dst,
                     gsize dst_offset, gsize bytes);

/* ---- kernels ------------------------------------------------------------------------- */

typedef enum {
  MS_ARG_END = 0,
  MS_ARG_MEM,      /* const MsBuffer * */
  MS_ARG_INT,      /* int */
  MS_ARG_FLOAT,    /* double (promoted), passed as float */
  MS_ARG_LOCAL,    /* gsize bytes of local memory */
} MsArgKind;

/* Enqueues kernel NAME over GLOBAL (1 to 3 dims, each rounded up to a multiple of LOCAL when
 * LOCAL is given) with the arguments that follow as (MsArgKind, value) pairs ending in
 * MS_ARG_END. Asynchronous; errors are sticky. */
void ms_run (MsDevice *dev, const char *name, guint dims, const size_t *global,
             const size_t *local, ...);

/* Shorthand for the common 1-D launch of N work-items in groups of 64 (or the device limit). */
#define ms_run1(dev, name, n, ...) \
  ms_run ((dev), (name), 1, (size_t[]){ (size_t) (n) }, NULL, __VA_ARGS__)

/* Enqueues a row kernel over ROWS rows in the form that suits the device: on CPU devices
 * NAME_cpu with one work-item per row (vectorised along the row), elsewhere NAME with one
 * work-group of ROW_WG (64) work-items per row. Same arguments for both. */
void ms_run_rows (MsDevice *dev, const char *name, gsize rows, ...);
void ms_run_valist (MsDevice *dev, const char *name, guint dims, const size_t *global,
                    const size_t *local, va_list ap);

/* The round-up ms_run applies, exposed for kernels that need their group size. */
gsize ms_round_up (gsize n, gsize multiple);

G_END_DECLS
