/* Discovering OpenCL devices and choosing one. The choice depends on what a device is and
 * can do (its type, compute units, memory), never on a list of vendor names. */
#include "ms-runtime.h"

#include <string.h>

static char *
device_string (cl_device_id id, cl_device_info what)
{
  size_t n = 0;
  if (clGetDeviceInfo (id, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
    return g_strdup ("");
  char *s = g_malloc0 (n + 1);
  clGetDeviceInfo (id, what, n, s, NULL);
  return g_strstrip (s);
}

static guint64
device_u64 (cl_device_id id, cl_device_info what)
{
  cl_ulong v = 0;
  clGetDeviceInfo (id, what, sizeof v, &v, NULL);
  return v;
}

static guint
device_uint (cl_device_id id, cl_device_info what)
{
  cl_uint v = 0;
  clGetDeviceInfo (id, what, sizeof v, &v, NULL);
  return v;
}

static void
device_info_free (gpointer p)
{
  MsDeviceInfo *d = p;
  g_free (d->platform_name);
  g_free (d->name);
  g_free (d->vendor);
  g_free (d->driver_version);
  g_free (d->device_version);
  g_free (d->c_version);
  g_free (d);
}

GPtrArray *
ms_devices_list (GError **error)
{
  cl_uint n_platforms = 0;
  cl_int err = clGetPlatformIDs (0, NULL, &n_platforms);
  if (err == -1001 || (err == CL_SUCCESS && n_platforms == 0))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_NO_DEVICE,
                   "no OpenCL platform found (is an ICD such as pocl-opencl-icd installed, "
                   "and does OCL_ICD_VENDORS point at its .icd files?)");
      return NULL;
    }
  if (err != CL_SUCCESS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_CL, "clGetPlatformIDs failed: %s",
                   ms_cl_error_name (err));
      return NULL;
    }
  g_autofree cl_platform_id *platforms = g_new (cl_platform_id, n_platforms);
  clGetPlatformIDs (n_platforms, platforms, NULL);

  GPtrArray *out = g_ptr_array_new_with_free_func (device_info_free);
  for (cl_uint p = 0; p < n_platforms; p++)
    {
      char pname[256] = "";
      clGetPlatformInfo (platforms[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
      cl_uint n_devices = 0;
      if (clGetDeviceIDs (platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n_devices) != CL_SUCCESS)
        continue;  /* a platform without devices is not an error */
      g_autofree cl_device_id *ids = g_new (cl_device_id, n_devices);
      clGetDeviceIDs (platforms[p], CL_DEVICE_TYPE_ALL, n_devices, ids, NULL);
      for (cl_uint i = 0; i < n_devices; i++)
        {
          MsDeviceInfo *d = g_new0 (MsDeviceInfo, 1);
          d->index = out->len;
          d->platform = platforms[p];
          d->id = ids[i];
          d->platform_name = g_strstrip (g_strdup (pname));
          d->name = device_string (ids[i], CL_DEVICE_NAME);
          d->vendor = device_string (ids[i], CL_DEVICE_VENDOR);
          d->driver_version = device_string (ids[i], CL_DRIVER_VERSION);
          d->device_version = device_string (ids[i], CL_DEVICE_VERSION);
          d->c_version = device_string (ids[i], CL_DEVICE_OPENCL_C_VERSION);
          clGetDeviceInfo (ids[i], CL_DEVICE_TYPE, sizeof d->type, &d->type, NULL);
          d->global_mem_bytes = device_u64 (ids[i], CL_DEVICE_GLOBAL_MEM_SIZE);
          d->max_alloc_bytes = device_u64 (ids[i], CL_DEVICE_MAX_MEM_ALLOC_SIZE);
          d->local_mem_bytes = device_u64 (ids[i], CL_DEVICE_LOCAL_MEM_SIZE);
          d->compute_units = device_uint (ids[i], CL_DEVICE_MAX_COMPUTE_UNITS);
          clGetDeviceInfo (ids[i], CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof d->max_work_group,
                           &d->max_work_group, NULL);
          d->host_unified = device_uint (ids[i], CL_DEVICE_HOST_UNIFIED_MEMORY) != 0;
          g_autofree char *ext = device_string (ids[i], CL_DEVICE_EXTENSIONS);
          d->fp64 = strstr (ext, "cl_khr_fp64") != NULL;
          d->fp16 = strstr (ext, "cl_khr_fp16") != NULL;
          g_ptr_array_add (out, d);
        }
    }
  if (out->len == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_NO_DEVICE,
                   "%u OpenCL platform(s) found, but none has a device", n_platforms);
      g_ptr_array_unref (out);
      return NULL;
    }
  return out;
}

static gboolean
type_from_word (const char *word, cl_device_type *type)
{
  if (g_ascii_strcasecmp (word, "gpu") == 0)
    *type = CL_DEVICE_TYPE_GPU;
  else if (g_ascii_strcasecmp (word, "cpu") == 0)
    *type = CL_DEVICE_TYPE_CPU;
  else if (g_ascii_strcasecmp (word, "accelerator") == 0)
    *type = CL_DEVICE_TYPE_ACCELERATOR;
  else
    return FALSE;
  return TRUE;
}

/* Larger is better: GPUs first, then by a rough measure of size. */
static double
device_rank (const MsDeviceInfo *d)
{
  double size = (double) d->compute_units * (double) (d->global_mem_bytes >> 20);
  return ((d->type & CL_DEVICE_TYPE_GPU) ? 1e30 : 0.0) + size;
}

const MsDeviceInfo *
ms_devices_select (GPtrArray *devices, const char *selector, GError **error)
{
  const char *origin = "--device";
  if (selector == NULL || *selector == '\0')
    {
      selector = g_getenv ("MEMSCOPE_DEVICE");
      origin = "MEMSCOPE_DEVICE";
    }
  if (selector == NULL || *selector == '\0')
    {
      const MsDeviceInfo *best = NULL;
      for (guint i = 0; i < devices->len; i++)
        {
          const MsDeviceInfo *d = devices->pdata[i];
          if (best == NULL || device_rank (d) > device_rank (best))
            best = d;
        }
      return best;
    }

  /* An index. */
  gchar *end = NULL;
  guint64 idx = g_ascii_strtoull (selector, &end, 10);
  if (end != selector && *end == '\0')
    {
      if (idx < devices->len)
        return devices->pdata[idx];
      g_set_error (error, MS_ERROR, MS_ERROR_NO_DEVICE,
                   "%s=%s: there are only %u devices (0 to %u); see `memscope devices`", origin,
                   selector, devices->len, devices->len - 1);
      return NULL;
    }

  /* A type, optionally with ":N". */
  g_auto (GStrv) parts = g_strsplit (selector, ":", 2);
  cl_device_type type;
  if (type_from_word (parts[0], &type))
    {
      guint64 nth = 0;
      if (parts[1] && !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT, &nth, NULL))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "%s=%s: expected TYPE or TYPE:N with N a number", origin, selector);
          return NULL;
        }
      for (guint i = 0; i < devices->len; i++)
        {
          const MsDeviceInfo *d = devices->pdata[i];
          if ((d->type & type) && nth-- == 0)
            return d;
        }
      g_set_error (error, MS_ERROR, MS_ERROR_NO_DEVICE,
                   "%s=%s: no such %s device; see `memscope devices`", origin, selector,
                   ms_device_type_name (type));
      return NULL;
    }

  /* A substring of "platform / device". */
  g_autofree char *needle = g_utf8_casefold (selector, -1);
  for (guint i = 0; i < devices->len; i++)
    {
      const MsDeviceInfo *d = devices->pdata[i];
      g_autofree char *full = g_strdup_printf ("%s / %s", d->platform_name, d->name);
      g_autofree char *hay = g_utf8_casefold (full, -1);
      if (strstr (hay, needle))
        return d;
    }
  g_set_error (error, MS_ERROR, MS_ERROR_NO_DEVICE,
               "%s=%s: no device name or platform contains that text; see `memscope devices`",
               origin, selector);
  return NULL;
}
