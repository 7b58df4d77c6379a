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
          json_builder_set_member_name (b, "index");
          json_builder_add_int_value (b, d->index);
          json_builder_set_member_name (b, "default");
          json_builder_add_boolean_value (b, d == chosen);
          json_builder_set_member_name (b, "platform");
          json_builder_add_string_value (b, d->platform_name);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, d->name);
          json_builder_set_member_name (b, "vendor");
          json_builder_add_string_value (b, d->vendor);
          json_builder_set_member_name (b, "type");
          json_builder_add_string_value (b, ms_device_type_name (d->type));
          json_builder_set_member_name (b, "driver");
          json_builder_add_string_value (b, d->driver_version);
          json_builder_set_member_name (b, "opencl_c");
          json_builder_add_string_value (b, d->c_version);
          json_builder_set_member_name (b, "compute_units");
          json_builder_add_int_value (b, d->compute_units);
          json_builder_set_member_name (b, "global_mem_bytes");
          json_builder_add_int_value (b, (gint64) d->global_mem_bytes);
          json_builder_set_member_name (b, "max_alloc_bytes");
          json_builder_add_int_value (b, (gint64) d->max_alloc_bytes);
          json_builder_set_member_name (b, "host_unified_memory");
          json_builder_add_boolean_value (b, d->host_unified);
          json_builder_set_member_name (b, "fp64");
          json_builder_add_boolean_value (b, d->fp64);
          json_builder_set_member_name (b, "fp16");
          json_builder_add_boolean_value (b, d->fp16);
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
