/* llm.c checkpoints (gpt2_*.bin: a 256-int header, then the parameters in fp32 or bf16). */
#include "fuzz.h"
#include "model/ms-checkpoint.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_write ("model.bin", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_load_llmc (path, &error);
  g_assert ((ck == NULL) != (error == NULL));
  return 0;
}
