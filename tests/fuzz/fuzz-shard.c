/* llm.c token shards (a 256-int header, then uint16 tokens). */
#include "fuzz.h"
#include "text/ms-shard.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_write ("tokens.bin", data, size);
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  g_autofree guint16 *tokens = ms_shard_read (path, &n, &error);
  g_assert ((tokens == NULL) != (error == NULL));
  g_assert (tokens == NULL || n * 2 + 1024 <= size);
  return 0;
}
