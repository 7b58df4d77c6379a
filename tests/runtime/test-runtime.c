/* The OpenCL runtime: device listing and selection, buffers, kernel launches, sticky errors
 * that name the call, and the on-disk program cache. */
#include "ms-test.h"

#include <string.h>

static void
test_list_and_select (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devs = ms_devices_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (devs->len, >, 0);
  const MsDeviceInfo *d0 = devs->pdata[0];

  const MsDeviceInfo *by_index = ms_devices_select (devs, "0", &error);
  g_assert_no_error (error);
  g_assert_true (by_index == d0);

  const char *type = (d0->type & CL_DEVICE_TYPE_GPU) ? "gpu" : (d0->type & CL_DEVICE_TYPE_CPU) ? "cpu" : "accelerator";
  g_assert_true (ms_devices_select (devs, type, &error) != NULL);
  g_assert_no_error (error);

  /* A substring of the name, in another case. */
  g_autofree char *upper = g_utf8_strup (d0->name, 6);
  g_assert_true (ms_devices_select (devs, upper, &error) != NULL);
  g_assert_no_error (error);

  g_assert_null (ms_devices_select (devs, "99", &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "only"));
  g_clear_error (&error);
  g_assert_null (ms_devices_select (devs, "no-such-device-xyz", &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_NO_DEVICE);
  g_clear_error (&error);
  g_assert_null (ms_devices_select (devs, "gpu:x", &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

static void
test_buffer_roundtrip (void)
{
  MsDevice *dev = ms_test_device ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBuffer) buf = ms_buffer_new (dev, 1000 * sizeof (float), &error);
  g_assert_no_error (error);
  float in[1000], out[1000];
  for (int i = 0; i < 1000; i++)
    in[i] = i * 0.5f - 7.0f;
  g_assert_true (ms_buffer_write (dev, buf, 0, in, sizeof in, &error));
  /* y = 2*x + 0*y on the middle part, through a kernel. */
  ms_run1 (dev, "axpby", 500, MS_ARG_MEM, buf, MS_ARG_INT, 250, MS_ARG_MEM, buf, MS_ARG_INT, 250,
           MS_ARG_INT, 500, MS_ARG_FLOAT, 2.0, MS_ARG_FLOAT, 0.0, MS_ARG_END);
  ms_buffer_zero (dev, buf, 0, 10 * sizeof (float));
  g_assert_true (ms_buffer_read (dev, buf, 0, out, sizeof out, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 1000; i++)
    {
      float want = i < 10 ? 0.0f : (i >= 250 && i < 750) ? 2.0f * in[i] : in[i];
      g_assert_cmpfloat (out[i], ==, want);
    }
  /* Out of range is an error, not a crash. */
  g_assert_false (ms_buffer_read (dev, buf, 3990, out, 20, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

static void
test_sticky_error_names_call (void)
{
  MsDevice *dev = ms_test_device ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBuffer) buf = ms_buffer_new (dev, 64, &error);
  ms_run1 (dev, "no_such_kernel", 4, MS_ARG_MEM, buf, MS_ARG_END);
  /* Later launches are skipped until the error is taken. */
  ms_run1 (dev, "fill", 4, MS_ARG_MEM, buf, MS_ARG_INT, 0, MS_ARG_INT, 4, MS_ARG_FLOAT, 1.0,
           MS_ARG_END);
  g_assert_false (ms_device_finish (dev, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_CL);
  g_assert_nonnull (strstr (error->message, "no_such_kernel"));
  g_assert_nonnull (strstr (error->message, "CL_INVALID_KERNEL_NAME"));
  g_clear_error (&error);
  /* A wrong argument type is named too. */
  ms_run1 (dev, "fill", 4, MS_ARG_MEM, buf, MS_ARG_MEM, buf, MS_ARG_INT, 4, MS_ARG_FLOAT, 1.0,
           MS_ARG_END);
  g_assert_false (ms_device_finish (dev, &error));
  g_assert_nonnull (strstr (error->message, "clSetKernelArg(fill, 1)"));
  g_clear_error (&error);
  g_assert_true (ms_device_finish (dev, &error));
}

static void
test_program_cache (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (ms_test_tmpdir (), "cache", NULL);
  g_setenv ("MEMSCOPE_CACHE_DIR", dir, TRUE);
  g_autoptr (MsDevice) a = ms_device_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_false (a->cache_hit);
  g_assert_true (g_str_has_prefix (a->cache_path, dir));
  g_assert_true (g_file_test (a->cache_path, G_FILE_TEST_IS_REGULAR));
  g_autoptr (MsDevice) b = ms_device_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (b->cache_hit);
  g_assert_cmpstr (a->cache_path, ==, b->cache_path);
  /* A corrupt cache file is rebuilt, not fatal. */
  g_assert_true (g_file_set_contents (b->cache_path, "garbage", 7, NULL));
  g_autoptr (MsDevice) c = ms_device_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_false (c->cache_hit);
  g_unsetenv ("MEMSCOPE_CACHE_DIR");
}

static void
test_env_selector (void)
{
  g_autoptr (GError) error = NULL;
  g_setenv ("MEMSCOPE_DEVICE", "definitely-not-a-device", TRUE);
  g_assert_null (ms_device_open (NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "MEMSCOPE_DEVICE"));
  g_unsetenv ("MEMSCOPE_DEVICE");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/runtime/list-and-select", test_list_and_select);
  g_test_add_func ("/runtime/buffer-roundtrip", test_buffer_roundtrip);
  g_test_add_func ("/runtime/sticky-error", test_sticky_error_names_call);
  g_test_add_func ("/runtime/program-cache", test_program_cache);
  g_test_add_func ("/runtime/env-selector", test_env_selector);
  return ms_test_run ();
}
