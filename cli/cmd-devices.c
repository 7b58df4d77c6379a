/* memscope devices: every OpenCL device, with what memscope would use on it. */
#include <json-glib/json-glib.h>

#include "ms-cli.h"
#include "common/ms-json.h"

int
ms_cmd_devices (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- list OpenCL devices");
  g_option_context_set_description (ctx,
    "The default device is marked with '*'. Pick another with --device or MEMSCOPE_DEVICE:\n"
    "an index, a type (gpu, cpu, gpu:1) or part of its name.");
  ms_cli_add_common (ctx, &common);
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;

  GError *error = NULL;
  g_autoptr (GPtrArray) devices = ms_devices_list (&error);
  if (devices == NULL)
    return ms_cli_fail ("devices", error);
  const MsDeviceInfo *chosen = ms_devices_select (devices, common.device, &error);
  if (chosen == NULL)
    return ms_cli_fail ("devices", error);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < devices->len; i++)
    {
      const MsDeviceInfo *d = devices->pdata[i];
      if (common.json)
        {
          json_builder_begin_object (b);
          ms_json_add_int (b, "index", d->index);
          ms_json_add_bool (b, "default", d == chosen);
          ms_json_add_string (b, "platform", d->platform_name);
          ms_json_add_string (b, "name", d->name);
          ms_json_add_string (b, "vendor", d->vendor);
          ms_json_add_string (b, "type", ms_device_type_name (d->type));
          ms_json_add_string (b, "driver", d->driver_version);
          ms_json_add_string (b, "opencl_c", d->c_version);
          ms_json_add_int (b, "compute_units", d->compute_units);
          ms_json_add_int (b, "global_mem_bytes", (gint64) d->global_mem_bytes);
          ms_json_add_int (b, "max_alloc_bytes", (gint64) d->max_alloc_bytes);
          ms_json_add_bool (b, "host_unified_memory", d->host_unified);
          ms_json_add_bool (b, "fp64", d->fp64);
          ms_json_add_bool (b, "fp16", d->fp16);
          json_builder_end_object (b);
        }
      else
        g_print ("%c %u  %s / %s\n     %s, %u compute units, %.1f GiB (largest buffer %.1f GiB), "
                 "%s, driver %s%s%s\n",
                 d == chosen ? '*' : ' ', d->index, d->platform_name, d->name,
                 ms_device_type_name (d->type), d->compute_units,
                 d->global_mem_bytes / 1073741824.0, d->max_alloc_bytes / 1073741824.0,
                 d->c_version, d->driver_version, d->fp64 ? ", fp64" : "",
                 d->fp16 ? ", fp16" : "");
    }
  json_builder_end_array (b);
  if (common.json)
    {
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      g_autofree char *text = ms_json_generate (gen);
      g_print ("%s\n", text);
    }
  return 0;
}
