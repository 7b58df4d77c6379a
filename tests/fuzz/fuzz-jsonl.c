/* JSONL task data. Records that load are tokenized through a template with the embedded GPT-2
 * tokenizer (loaded once), as a study does. */
#include "fuzz.h"
#include "ms-config.h"
#include "text/ms-dataset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static MsBpe *bpe;
  static MsTemplate *tpl;
  if (bpe == NULL)
    {
      g_autofree char *dir = g_build_filename (MS_SOURCE_DATADIR, "tokenizer", NULL);
      bpe = ms_bpe_load (dir, NULL);
      tpl = ms_template_parse ("Q: {input}\\nA: {output}", NULL);
      g_assert (bpe && tpl);
    }
  const char *path = fuzz_write ("task.jsonl", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsTaskData) task = ms_task_data_load ("qa", path, &error);
  g_assert ((task == NULL) != (error == NULL));
  if (task == NULL)
    return 0;
  g_autoptr (GArray) examples = ms_task_examples (task, tpl, bpe, &error);
  g_assert ((examples == NULL) != (error == NULL));
  return 0;
}
