/* GPT-2 tokenizers: encoder.json, a NUL byte, then vocab.bpe. A tokenizer that loads must
 * encode text and decode its ids back to the same bytes. */
#include "fuzz.h"
#include "text/ms-bpe.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *encoder, *merges;
  size_t encoder_size, merges_size;
  fuzz_split (data, size, &encoder, &encoder_size, &merges, &merges_size);
  const char *encoder_path = fuzz_write ("encoder.json", encoder, encoder_size);
  const char *merges_path = fuzz_write ("vocab.bpe", merges, merges_size);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBpe) bpe = ms_bpe_load_files (encoder_path, merges_path, &error);
  g_assert ((bpe == NULL) != (error == NULL));
  if (bpe == NULL)
    return 0;
  static const char text[] = "Hello, world! It's 2024: naïve café 東京 \xf0\x9f\x98\x80  \t\n x";
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  ms_bpe_encode (bpe, text, strlen (text), ids);
  g_autoptr (GByteArray) back = g_byte_array_new ();
  if (ms_bpe_decode (bpe, (const guint32 *) ids->data, ids->len, back, &error))
    g_assert_cmpmem (back->data, back->len, text, strlen (text));
  for (guint id = 0; id < ms_bpe_vocab_size (bpe) && id < 512; id++)
    g_free (ms_bpe_token_string (bpe, id));
  return 0;
}
