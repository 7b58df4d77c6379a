/* Hugging Face GPT-2 folders: config.json, a NUL byte, then model.safetensors. */
#include "fuzz.h"
#include "model/ms-checkpoint.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *config, *tensors;
  size_t config_size, tensors_size;
  fuzz_split (data, size, &config, &config_size, &tensors, &tensors_size);
  fuzz_write ("hf/config.json", config, config_size);
  fuzz_write ("hf/model.safetensors", tensors, tensors_size);
  g_autofree char *dir = g_build_filename (fuzz_dir (), "hf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_load_safetensors (dir, &error);
  g_assert ((ck == NULL) != (error == NULL));
  return 0;
}
