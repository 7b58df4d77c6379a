/* Pretraining (core/train/ms-pretrain): the held-out split counted by hand, a loss that falls,
 * and a run cancelled mid-way and resumed that ends with the same model, bit for bit, as an
 * uninterrupted one. */
#include "ms-test.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "common/ms-error.h"
#include "model/ms-checkpoint.h"
#include "train/ms-pretrain.h"

enum { N_DOCS = 120, VAL_EVERY = 10, STEPS = 12, CANCEL_AT = 6 };

static const char *words[] = { "the", "model", "reads", "a", "long", "text", "and", "learns",
                               "what", "comes", "next", "in", "every", "line", "of", "it" };

/* N_DOCS documents of a few sentences each, separated by blank lines. */
static char *
write_corpus (const char *dir, GPtrArray *docs)
{
  g_autoptr (GString) all = g_string_new (NULL);
  MsTestRng rng = { 7 };
  for (int d = 0; d < N_DOCS; d++)
    {
      GString *doc = g_string_new (NULL);
      int n = 8 + (int) (ms_test_rng_u64 (&rng) % 24);
      for (int w = 0; w < n; w++)
        g_string_append_printf (doc, "%s%s", w ? " " : "",
                                words[ms_test_rng_u64 (&rng) % G_N_ELEMENTS (words)]);
      g_string_append (doc, ".");
      g_string_append_printf (all, "%s\n\n", doc->str);
      g_ptr_array_add (docs, g_string_free (doc, FALSE));
    }
  char *path = g_build_filename (dir, "corpus.txt", NULL);
  g_assert_true (g_file_set_contents (path, all->str, -1, NULL));
  return path;
}

typedef struct {
  int cancel_at;
  volatile gint *cancel;
  int last_step;
  double first_loss, last_loss;
} Watch;

static void
on_progress (const MsTrainProgress *p, gpointer user)
{
  Watch *w = user;
  if (p->stats == NULL)
    return;
  if (w->last_step == 0)
    w->first_loss = p->stats->loss;
  w->last_step = p->step;
  w->last_loss = p->stats->loss;
  if (p->step == w->cancel_at)
    g_atomic_int_set (w->cancel, 1);
}

/* Prepares and trains in DIR; CANCEL_AT > 0 stops there (and expects MS_ERROR_CANCELLED). */
static void
pretrain (const MsPretrainConfig *cfg, const char *dir, gboolean resume, int cancel_at,
          MsPretrainData *data_out, Watch *w)
{
  g_autoptr (GError) error = NULL;
  MsPretrainData data;
  g_assert_true (ms_pretrain_prepare (cfg, dir, resume, NULL, NULL, &data, &error));
  g_assert_no_error (error);
  MsGptConfig shape = { .max_seq_len = 32, .vocab_size = (int) ms_bpe_vocab_size (data.bpe),
                        .num_layers = 2, .num_heads = 2, .channels = 32 };
  shape.padded_vocab_size = (shape.vocab_size + 127) / 128 * 128;
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_new_random (&shape, 5, &error);
  g_assert_no_error (error);
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &ck->cfg, ck->params, &error);
  g_assert_no_error (error);
  volatile gint cancel = 0;
  *w = (Watch) { cancel_at, &cancel, 0, NAN, NAN };
  gboolean ok = ms_pretrain_run (gpt, &data, cfg, "random:test", dir, resume, on_progress, w,
                                 &cancel, &error);
  if (cancel_at > 0)
    {
      g_assert_false (ok);
      g_assert_error (error, MS_ERROR, MS_ERROR_CANCELLED);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  if (data_out)
    *data_out = data;
  else
    ms_pretrain_data_clear (&data);
}

static GBytes *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  return g_bytes_new (text, len);
}

static void
test_pretrain (void)
{
  const char *tmp = ms_test_tmpdir ();
  g_autoptr (GPtrArray) docs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *corpus = write_corpus (tmp, docs);
  char *files[] = { corpus, NULL };
  MsPretrainConfig cfg;
  ms_pretrain_config_init (&cfg);
  cfg.files = files;
  cfg.vocab_size = 300;
  cfg.B = 2;
  cfg.T = 16;
  cfg.steps = STEPS;
  cfg.schedule.total_steps = STEPS;
  cfg.schedule.warmup_steps = 2;
  cfg.schedule.lr = 3e-3;
  cfg.val_every = VAL_EVERY;
  cfg.eval_every = 4;
  cfg.eval_batches = 2;
  cfg.save_every = 4;
  cfg.seed = 3;

  g_autofree char *whole = g_build_filename (tmp, "whole", NULL);
  MsPretrainData data;
  Watch w;
  pretrain (&cfg, whole, FALSE, 0, &data, &w);
  g_assert_cmpint (w.last_step, ==, STEPS);
  g_assert_cmpfloat (w.last_loss, <, w.first_loss);

  /* The split, counted here: document i is held out when (seed mod VAL_EVERY + i) is a
   * multiple of VAL_EVERY; each document's tokens end with <|endoftext|>. */
  gsize want_train = 0, want_val = 0;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < docs->len; i++)
    {
      g_array_set_size (ids, 0);
      const char *doc = docs->pdata[i];
      ms_bpe_encode (data.bpe, doc, strlen (doc), ids);
      if ((cfg.seed % VAL_EVERY + i) % VAL_EVERY == 0)
        want_val += ids->len + 1;
      else
        want_train += ids->len + 1;
    }
  g_assert_cmpuint (data.n_val, ==, want_val);
  g_assert_cmpuint (data.n_train, ==, want_train);
  g_assert_cmpuint (data.val[want_val - 1], ==, (guint) ms_bpe_eot (data.bpe));
  ms_pretrain_data_clear (&data);
  for (const char *const *f = (const char *const[]) { "model.bin", "model.bin.state",
                                                      "log.jsonl", "loss.png", "loss.svg",
                                                      "train.bin", "val.bin",
                                                      "tokenizer/encoder.json", NULL };
       *f; f++)
    {
      g_autofree char *path = g_build_filename (whole, *f, NULL);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }

  /* Cancelled after CANCEL_AT steps (the state saved then), resumed to the end. */
  g_autofree char *parts = g_build_filename (tmp, "parts", NULL);
  pretrain (&cfg, parts, FALSE, CANCEL_AT, NULL, &w);
  g_assert_cmpint (w.last_step, ==, CANCEL_AT);
  pretrain (&cfg, parts, TRUE, 0, NULL, &w);
  g_assert_cmpint (w.last_step, ==, STEPS);
  g_autoptr (GBytes) a = read_file (whole, "model.bin");
  g_autoptr (GBytes) b = read_file (parts, "model.bin");
  g_assert_true (g_bytes_equal (a, b));

  /* A resume with other settings is refused, naming what differs. */
  cfg.B = 3;
  g_autoptr (GError) error = NULL;
  MsPretrainData again;
  g_assert_true (ms_pretrain_prepare (&cfg, parts, TRUE, NULL, NULL, &again, &error));
  MsGptConfig shape = { 32, (int) ms_bpe_vocab_size (again.bpe), 384, 2, 2, 32 };
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_new_random (&shape, 5, &error);
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &ck->cfg, ck->params, &error);
  g_assert_no_error (error);
  g_assert_false (ms_pretrain_run (gpt, &again, &cfg, "random:test", parts, TRUE, NULL, NULL,
                                   NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "B=3"));
  ms_pretrain_data_clear (&again);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/pretrain", test_pretrain);
  return ms_test_run ();
}
