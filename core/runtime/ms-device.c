/* Opening a device: context, queue, the embedded kernel program (built once and cached on
 * disk), sticky errors, buffers and kernel launches. */
#include "ms-runtime.h"
#include "ms-kernels.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_PREFIX "/org/memscope/kernels"
#define BUILD_OPTIONS "-cl-std=CL1.2"

void
ms_device_fail (MsDevice *dev, GError *err)
{
  if (dev->sticky == NULL)
    dev->sticky = err;
  else
    g_error_free (err);
}

gboolean
ms_device_cl_ok (MsDevice *dev, cl_int code, const char *call)
{
  if (code == CL_SUCCESS)
    return TRUE;
  ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_CL, "%s failed: %s", call,
                                    ms_cl_error_name (code)));
  return FALSE;
}

gboolean
ms_device_check (MsDevice *dev, GError **error)
{
  if (dev->sticky == NULL)
    return TRUE;
  g_propagate_error (error, dev->sticky);
  dev->sticky = NULL;
  return FALSE;
}

gboolean
ms_device_finish (MsDevice *dev, GError **error)
{
  ms_device_cl_ok (dev, clFinish (dev->queue), "clFinish");
  return ms_device_check (dev, error);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
release_kernel (gpointer k)
{
  clReleaseKernel (k);
}

/* All kernel sources in name order, common.cl first (it holds shared helpers). */
static GPtrArray *
kernel_sources (GError **error)
{
  static gsize registered = 0;
  if (g_once_init_enter (&registered))
    {
      ms_kernels_register_resource ();
      g_once_init_leave (&registered, 1);
    }
  g_auto (GStrv) names = g_resource_enumerate_children (ms_kernels_get_resource (), KERNEL_PREFIX, 0, error);
  if (names == NULL)
    return NULL;
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  for (char **n = names; *n; n++)
    if (g_str_has_suffix (*n, ".cl"))
      g_ptr_array_add (sorted, *n);
  g_ptr_array_sort (sorted, compare_names);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < sorted->len; i++)
      {
        const char *n = sorted->pdata[i];
        if ((pass == 0) != (strcmp (n, "common.cl") == 0))
          continue;
        g_autofree char *path = g_strconcat (KERNEL_PREFIX "/", n, NULL);
        GBytes *b = g_resource_lookup_data (ms_kernels_get_resource (), path, 0, error);
        if (b == NULL)
          {
            g_ptr_array_unref (out);
            return NULL;
          }
        g_ptr_array_add (out, b);
      }
  return out;
}

static char *
cache_file (const MsDevice *dev, GPtrArray *sources)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const MsDeviceInfo *d = dev->info;
  const char *parts[] = { d->platform_name, d->name, d->device_version, d->driver_version,
                          BUILD_OPTIONS };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    g_checksum_update (sum, (const guchar *) parts[i], strlen (parts[i]) + 1);
  for (guint i = 0; i < sources->len; i++)
    {
      gsize n;
      const guchar *s = g_bytes_get_data (sources->pdata[i], &n);
      g_checksum_update (sum, s, n);
    }
  const char *dir = g_getenv ("MEMSCOPE_CACHE_DIR");
  g_autofree char *base = dir && *dir ? g_strdup (dir)
                                      : g_build_filename (g_get_user_cache_dir (), "memscope", NULL);
  g_autofree char *name = g_strconcat (g_checksum_get_string (sum), ".bin", NULL);
  return g_build_filename (base, "programs", name, NULL);
}

static gboolean
build_program (MsDevice *dev, cl_program prog, GError **error)
{
  cl_int err = clBuildProgram (prog, 1, &dev->info->id, BUILD_OPTIONS, NULL, NULL);
  if (err == CL_SUCCESS)
    return TRUE;
  size_t n = 0;
  clGetProgramBuildInfo (prog, dev->info->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
  g_autofree char *log = g_malloc0 (n + 1);
  clGetProgramBuildInfo (prog, dev->info->id, CL_PROGRAM_BUILD_LOG, n, log, NULL);
  g_set_error (error, MS_ERROR, MS_ERROR_CL, "clBuildProgram failed: %s\n%s",
               ms_cl_error_name (err), g_strstrip (log));
  return FALSE;
}

/* Tries the on-disk binary first; a stale or foreign binary just means a rebuild. */
static gboolean
load_program (MsDevice *dev, GError **error)
{
  g_autoptr (GPtrArray) sources = kernel_sources (error);
  if (sources == NULL)
    return FALSE;
  dev->cache_path = cache_file (dev, sources);

  g_autofree guchar *bin = NULL;
  gsize bin_len = 0;
  if (g_file_get_contents (dev->cache_path, (char **) &bin, &bin_len, NULL) && bin_len > 0)
    {
      cl_int status, err;
      const guchar *bins[] = { bin };
      cl_program prog = clCreateProgramWithBinary (dev->context, 1, &dev->info->id, &bin_len,
                                                   bins, &status, &err);
      if (err == CL_SUCCESS && status == CL_SUCCESS && build_program (dev, prog, NULL))
        {
          dev->program = prog;
          dev->cache_hit = TRUE;
          return TRUE;
        }
      if (prog)
        clReleaseProgram (prog);
    }

  g_autofree const char **strings = g_new (const char *, sources->len);
  g_autofree size_t *lengths = g_new (size_t, sources->len);
  for (guint i = 0; i < sources->len; i++)
    strings[i] = g_bytes_get_data (sources->pdata[i], &lengths[i]);
  cl_int err;
  cl_program prog = clCreateProgramWithSource (dev->context, sources->len, strings, lengths,
                                               &err);
  if (err != CL_SUCCESS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_CL, "clCreateProgramWithSource failed: %s",
                   ms_cl_error_name (err));
      return FALSE;
    }
  if (!build_program (dev, prog, error))
    {
      clReleaseProgram (prog);
      return FALSE;
    }
  dev->program = prog;

  /* Save the binary; failing to cache is not an error, only slower next time. */
  size_t size = 0;
  if (clGetProgramInfo (prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) == CL_SUCCESS
      && size > 0)
    {
      g_autofree guchar *out = g_malloc (size);
      guchar *outs[] = { out };
      if (clGetProgramInfo (prog, CL_PROGRAM_BINARIES, sizeof outs, outs, NULL) == CL_SUCCESS)
        {
          g_autofree char *dir = g_path_get_dirname (dev->cache_path);
          g_mkdir_with_parents (dir, 0755);
          g_file_set_contents (dev->cache_path, (const char *) out, size, NULL);
        }
    }
  return TRUE;
}

static cl_kernel
get_kernel (MsDevice *dev, const char *name)
{
  cl_kernel k = g_hash_table_lookup (dev->kernels, name);
  if (k)
    return k;
  cl_int err;
  k = clCreateKernel (dev->program, name, &err);
  if (err != CL_SUCCESS)
    {
      ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_CL, "clCreateKernel(%s) failed: %s",
                                        name, ms_cl_error_name (err)));
      return NULL;
    }
  g_hash_table_insert (dev->kernels, g_strdup (name), k);
  return k;
}

/* Whether kernels write straight into host memory handed over with CL_MEM_USE_HOST_PTR:
 * checked by running a kernel, not assumed from the device's type or vendor. */
static gboolean
probe_zero_copy (MsDevice *dev)
{
  if (!dev->info->host_unified)
    return FALSE;
  gsize n = 1024;
  float *host = NULL;
  if (posix_memalign ((void **) &host, 4096, n * sizeof (float)) != 0)
    return FALSE;
  memset (host, 0, n * sizeof (float));
  cl_int err;
  cl_mem mem = clCreateBuffer (dev->context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
                               n * sizeof (float), host, &err);
  gboolean ok = FALSE;
  if (err == CL_SUCCESS)
    {
      void *mapped = clEnqueueMapBuffer (dev->queue, mem, CL_TRUE, CL_MAP_READ, 0,
                                         n * sizeof (float), 0, NULL, NULL, &err);
      ok = err == CL_SUCCESS && mapped == host;
      if (err == CL_SUCCESS)
        clEnqueueUnmapMemObject (dev->queue, mem, mapped, 0, NULL, NULL);
      if (ok)
        {
          MsBuffer buf = { mem, n * sizeof (float), host };
          ms_run1 (dev, "fill", n, MS_ARG_MEM, &buf, MS_ARG_INT, 0, MS_ARG_INT, (int) n,
                   MS_ARG_FLOAT, 3.0, MS_ARG_END);
          ok = ms_device_finish (dev, NULL) && host[0] == 3.0f && host[n - 1] == 3.0f;
        }
      clReleaseMemObject (mem);
    }
  free (host);
  return ok;
}

MsDevice *
ms_device_open (const char *selector, GError **error)
{
  g_autoptr (GPtrArray) devices = ms_devices_list (error);
  if (devices == NULL)
    return NULL;
  const MsDeviceInfo *pick = ms_devices_select (devices, selector, error);
  if (pick == NULL)
    return NULL;

  g_autoptr (MsDevice) dev = g_new0 (MsDevice, 1);
  dev->info = g_memdup2 (pick, sizeof *pick);
  dev->info->platform_name = g_strdup (pick->platform_name);
  dev->info->name = g_strdup (pick->name);
  dev->info->vendor = g_strdup (pick->vendor);
  dev->info->driver_version = g_strdup (pick->driver_version);
  dev->info->device_version = g_strdup (pick->device_version);
  dev->info->c_version = g_strdup (pick->c_version);
  dev->kernels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        release_kernel);

  cl_int err;
  cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties) pick->platform, 0 };
  dev->context = clCreateContext (props, 1, &pick->id, NULL, NULL, &err);
  if (err != CL_SUCCESS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_CL, "clCreateContext(%s) failed: %s", pick->name,
                   ms_cl_error_name (err));
      return NULL;
    }
  dev->profiling = g_strcmp0 (g_getenv ("MEMSCOPE_PROFILE"), "1") == 0;
  dev->queue = clCreateCommandQueue (dev->context, pick->id,
                                     dev->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
  if (err != CL_SUCCESS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_CL, "clCreateCommandQueue(%s) failed: %s",
                   pick->name, ms_cl_error_name (err));
      return NULL;
    }
  if (!load_program (dev, error))
    return NULL;
  dev->zero_copy = probe_zero_copy (dev);
  dev->rows_per_item = (pick->type & CL_DEVICE_TYPE_CPU) != 0;
  if (!ms_device_check (dev, error))
    return NULL;
  return g_steal_pointer (&dev);
}

void
ms_device_free (MsDevice *dev)
{
  if (dev == NULL)
    return;
  if (dev->queue)
    clFinish (dev->queue);
  if (dev->release_caches)
    dev->release_caches ();
  g_clear_pointer (&dev->kernels, g_hash_table_unref);
  if (dev->program)
    clReleaseProgram (dev->program);
  if (dev->queue)
    clReleaseCommandQueue (dev->queue);
  if (dev->context)
    clReleaseContext (dev->context);
  if (dev->sticky)
    g_error_free (dev->sticky);
  if (dev->info)
    {
      g_free (dev->info->platform_name);
      g_free (dev->info->name);
      g_free (dev->info->vendor);
      g_free (dev->info->driver_version);
      g_free (dev->info->device_version);
      g_free (dev->info->c_version);
      g_free (dev->info);
    }
  g_free (dev->cache_path);
  g_free (dev);
}

char *
ms_device_describe (const MsDevice *dev)
{
  const MsDeviceInfo *d = dev->info;
  return g_strdup_printf ("%s (%s, %s, %u CUs, %.1f GiB)", d->name, d->platform_name,
                          ms_device_type_name (d->type), d->compute_units,
                          d->global_mem_bytes / (1024.0 * 1024.0 * 1024.0));
}

/* ---- buffers ------------------------------------------------------------------------- */

MsBuffer *
ms_buffer_new (MsDevice *dev, gsize bytes, GError **error)
{
  if (bytes == 0)
    bytes = 4;  /* OpenCL rejects empty buffers; an unused tensor still gets a handle */
  if (bytes > dev->info->max_alloc_bytes)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "a buffer of %.1f MiB exceeds %s's largest allocation (%.1f MiB)",
                   bytes / 1048576.0, dev->info->name, dev->info->max_alloc_bytes / 1048576.0);
      return NULL;
    }
  MsBuffer *buf = g_new0 (MsBuffer, 1);
  buf->bytes = bytes;
  cl_int err;
  if (dev->zero_copy)
    {
      gsize rounded = ms_round_up (bytes, 4096);
      if (posix_memalign (&buf->host, 4096, rounded) != 0)
        {
          g_free (buf);
          g_set_error (error, MS_ERROR, MS_ERROR_IO, "out of host memory for %.1f MiB",
                       bytes / 1048576.0);
          return NULL;
        }
      memset (buf->host, 0, rounded);
      buf->mem = clCreateBuffer (dev->context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, bytes,
                                 buf->host, &err);
    }
  else
    buf->mem = clCreateBuffer (dev->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
  if (err != CL_SUCCESS)
    {
      free (buf->host);
      g_free (buf);
      g_set_error (error, MS_ERROR, MS_ERROR_CL, "clCreateBuffer(%.1f MiB) failed: %s",
                   bytes / 1048576.0, ms_cl_error_name (err));
      return NULL;
    }
  if (!dev->zero_copy)
    {
      /* Start from zeros everywhere, as zero-copy buffers do. */
      MsBuffer tmp = *buf;
      ms_buffer_zero (dev, &tmp, 0, bytes);
      if (!ms_device_finish (dev, error))
        {
          ms_buffer_free (buf);
          return NULL;
        }
    }
  return buf;
}

/* Host memory behind a buffer may still be in use by enqueued kernels when the buffer is
 * released; OpenCL calls this once the buffer is really gone. */
static void CL_CALLBACK
free_host_memory (cl_mem mem, void *host)
{
  free (host);
}

void
ms_buffer_free (MsBuffer *buf)
{
  if (buf == NULL)
    return;
  if (buf->mem && buf->host
      && clSetMemObjectDestructorCallback (buf->mem, free_host_memory, buf->host) == CL_SUCCESS)
    buf->host = NULL;
  if (buf->mem)
    clReleaseMemObject (buf->mem);
  free (buf->host);  /* only when no callback could be registered */
  g_free (buf);
}

static gboolean
check_range (const MsBuffer *buf, gsize offset, gsize bytes, const char *what, GError **error)
{
  if (offset > buf->bytes || bytes > buf->bytes - offset)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s of %zu bytes at %zu is outside a buffer of %zu bytes", what, bytes,
                   offset, buf->bytes);
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_buffer_write (MsDevice *dev, MsBuffer *buf, gsize offset, const void *src, gsize bytes,
                 GError **error)
{
  if (!ms_device_check (dev, error) || !check_range (buf, offset, bytes, "write", error))
    return FALSE;
  if (bytes == 0)
    return TRUE;
  ms_device_cl_ok (dev, clEnqueueWriteBuffer (dev->queue, buf->mem, CL_TRUE, offset, bytes, src,
                                              0, NULL, NULL), "clEnqueueWriteBuffer");
  return ms_device_check (dev, error);
}

gboolean
ms_buffer_read (MsDevice *dev, const MsBuffer *buf, gsize offset, void *dst, gsize bytes,
                GError **error)
{
  if (!check_range (buf, offset, bytes, "read", error))
    return FALSE;
  if (bytes == 0)
    return ms_device_check (dev, error);
  ms_device_cl_ok (dev, clEnqueueReadBuffer (dev->queue, buf->mem, CL_TRUE, offset, bytes, dst,
                                             0, NULL, NULL), "clEnqueueReadBuffer");
  return ms_device_check (dev, error);
}

void
ms_buffer_zero (MsDevice *dev, MsBuffer *buf, gsize offset, gsize bytes)
{
  if (bytes == 0 || dev->sticky)
    return;
  if (offset % 4 == 0 && bytes % 4 == 0)
    {
      /* A kernel rather than clEnqueueFillBuffer: the latter is slow on some drivers. */
      ms_run1 (dev, "fill", bytes / 4, MS_ARG_MEM, buf, MS_ARG_INT, (int) (offset / 4),
               MS_ARG_INT, (int) (bytes / 4), MS_ARG_FLOAT, 0.0, MS_ARG_END);
      return;
    }
  const cl_uchar zero = 0;
  ms_device_cl_ok (dev, clEnqueueFillBuffer (dev->queue, buf->mem, &zero, 1, offset, bytes, 0,
                                             NULL, NULL), "clEnqueueFillBuffer");
}

void
ms_buffer_copy (MsDevice *dev, const MsBuffer *src, gsize src_offset, MsBuffer *dst,
                gsize dst_offset, gsize bytes)
{
  if (bytes == 0 || dev->sticky)
    return;
  ms_device_cl_ok (dev, clEnqueueCopyBuffer (dev->queue, src->mem, dst->mem, src_offset,
                                             dst_offset, bytes, 0, NULL, NULL),
                   "clEnqueueCopyBuffer");
}

/* ---- kernels ------------------------------------------------------------------------- */

gsize
ms_round_up (gsize n, gsize multiple)
{
  return (n + multiple - 1) / multiple * multiple;
}

void
ms_run (MsDevice *dev, const char *name, guint dims, const size_t *global, const size_t *local,
        ...)
{
  va_list ap;
  va_start (ap, local);
  ms_run_valist (dev, name, dims, global, local, ap);
  va_end (ap);
}

void
ms_run_rows (MsDevice *dev, const char *name, gsize rows, ...)
{
  va_list ap;
  va_start (ap, rows);
  if (dev->rows_per_item)
    {
      g_autofree char *cpu = g_strconcat (name, "_cpu", NULL);
      ms_run_valist (dev, cpu, 1, (size_t[]){ rows }, NULL, ap);
    }
  else
    ms_run_valist (dev, name, 1, (size_t[]){ rows * 64 }, (size_t[]){ 64 }, ap);
  va_end (ap);
}

void
ms_run_valist (MsDevice *dev, const char *name, guint dims, const size_t *global,
               const size_t *local, va_list ap)
{
  if (dev->sticky)
    return;
  cl_kernel k = get_kernel (dev, name);
  if (k == NULL)
    return;
  cl_uint index = 0;
  for (MsArgKind kind; (kind = va_arg (ap, MsArgKind)) != MS_ARG_END; index++)
    {
      cl_int err = CL_INVALID_ARG_VALUE;
      switch (kind)
        {
        case MS_ARG_MEM:
          {
            const MsBuffer *b = va_arg (ap, const MsBuffer *);
            err = clSetKernelArg (k, index, sizeof (cl_mem), &b->mem);
            break;
          }
        case MS_ARG_INT:
          {
            cl_int v = va_arg (ap, int);
            err = clSetKernelArg (k, index, sizeof v, &v);
            break;
          }
        case MS_ARG_FLOAT:
          {
            cl_float v = (cl_float) va_arg (ap, double);
            err = clSetKernelArg (k, index, sizeof v, &v);
            break;
          }
        case MS_ARG_LOCAL:
          err = clSetKernelArg (k, index, va_arg (ap, gsize), NULL);
          break;
        case MS_ARG_END:
          g_assert_not_reached ();
        }
      if (err != CL_SUCCESS)
        {
          ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_CL,
                                            "clSetKernelArg(%s, %u) failed: %s", name, index,
                                            ms_cl_error_name (err)));
          return;
        }
    }

  size_t g[3];
  for (guint d = 0; d < dims; d++)
    {
      if (global[d] == 0)
        return;  /* nothing to do */
      g[d] = local ? ms_round_up (global[d], local[d]) : global[d];
    }
  cl_int err = clEnqueueNDRangeKernel (dev->queue, k, dims, NULL, g, local, 0, NULL, NULL);
  if (err != CL_SUCCESS)
    ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_CL,
                                      "clEnqueueNDRangeKernel(%s) failed: %s", name,
                                      ms_cl_error_name (err)));
}
