/* The analyses after a run is probed: membership inference, canary exposure, sparse codes of
 * activations, attention maps; each reads the run's model and samples and writes its rows to
 * the store. */
#include "study/ms-study-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/ms-attention.h"
#include "analysis/ms-capture.h"
#include "analysis/ms-sparse.h"
#include "analysis/ms-stats.h"
#include "common/ms-json.h"
#include "probe/ms-mia.h"

/* ---- analyses after probing ----------------------------------------------------------- */

/* Membership-inference scores of every probed sample of the run's tasks. */
static gboolean
mia_run (Study *s, Run *r, GError **error)
{
  gint64 have = ms_store_count (s->store, "mia", r->id, error);
  if (have < 0)
    return FALSE;
  g_autoptr (GPtrArray) ex = g_ptr_array_new ();
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (int i = 0; i < r->n_tasks; i++)
    {
      TaskData *t = &s->td[r->tasks[i]];
      for (guint e = 0; e < t->train_ex->len; e++)
        {
          g_ptr_array_add (ex, &g_array_index (t->train_ex, MsExample, e));
          g_array_append_val (ids, t->train_ids[e]);
        }
      for (guint e = 0; e < t->heldout_ex->len; e++)
        {
          g_ptr_array_add (ex, &g_array_index (t->heldout_ex, MsExample, e));
          g_array_append_val (ids, t->heldout_ids[e]);
        }
    }
  if (have >= (gint64) ex->len)
    return TRUE;
  s->phase = "membership inference";
  study_emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, "membership inference scores");
  g_autofree MsMiaScores *scores = g_new (MsMiaScores, MAX (ex->len, 1));
  const MsFinetuneConfig *f = &s->spec->finetune;
  if (!ms_mia_score (s->gpt, (const MsExample *const *) ex->pdata, ex->len, f->response_only,
                     s->spec->mia_k, f->B, f->T, scores, error))
    return FALSE;
  g_autofree MsStoreMia *rows = g_new (MsStoreMia, MAX (ex->len, 1));
  for (guint i = 0; i < ex->len; i++)
    rows[i] = (MsStoreMia) { r->id, g_array_index (ids, gint64, i), scores[i].loss,
                             scores[i].min_k, scores[i].zlib_ratio, scores[i].n_tokens };
  return ms_store_add_mia (s->store, rows, ex->len, error);
}

/* Exposure of each canary under the run: its secret's NLL after the prompt, ranked among the
 * sampled candidates, and extrapolated to the whole candidate space. */
static gboolean
canary_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  gboolean trained_on = FALSE;
  for (int i = 0; i < r->n_tasks; i++)
    trained_on |= r->tasks[i] == s->canary_task;
  if (s->canary_task < 0 || (!trained_on && strcmp (r->kind, "base") != 0))
    return TRUE;
  gint64 have = ms_store_count (s->store, "canaries", r->id, error);
  if (have < 0 || have >= s->n_canaries)
    return have >= 0;
  s->phase = "canaries";
  study_emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, "canary exposure");
  const MsTaskSpec *ts = &spec->tasks[s->canary_task];
  g_autoptr (MsTemplate) tpl = ms_template_parse (ts->template_text ? ts->template_text
                                                                    : MS_TEMPLATE_DEFAULT, error);
  if (tpl == NULL)
    return FALSE;
  int n = s->n_canaries + s->n_candidates;
  g_autofree MsRecord *recs = g_new0 (MsRecord, n);
  g_autofree MsExample *ex = g_new0 (MsExample, n);
  g_autofree const MsExample **ptrs = g_new (const MsExample *, n);
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++)
    {
      recs[i] = i < s->n_canaries ? s->canaries[i]
                                  : (MsRecord) { spec->canary_task, spec->canary_prompt,
                                                 s->candidates[i - s->n_canaries], "candidate" };
      ok = ms_template_tokenize (tpl, s->bpe, &recs[i], &ex[i], error);
      ptrs[i] = &ex[i];
    }
  g_autofree MsMiaScores *sc = g_new (MsMiaScores, n);
  g_autofree double *nll = g_new (double, n);
  if (ok)
    ok = ms_mia_score (s->gpt, ptrs, n, TRUE, 0.2, spec->finetune.B, spec->finetune.T, sc, error);
  for (int i = 0; ok && i < n; i++)
    nll[i] = sc[i].loss * sc[i].n_tokens;
  g_autofree MsStoreCanary *rows = g_new0 (MsStoreCanary, MAX (s->n_canaries, 1));
  double space = pow (10.0, spec->canary_digits);
  for (int i = 0; ok && i < s->n_canaries; i++)
    {
      const double *cand = nll + s->n_canaries;
      guint64 rank = ms_stats_canary_rank (nll[i], cand, s->n_candidates, TRUE);
      MsExposureEstimate est;
      if (!ms_stats_exposure_sampled (nll[i], cand, s->n_candidates, space, TRUE, &est, error))
        {
          ok = FALSE;
          break;
        }
      rows[i] = (MsStoreCanary) { r->id, s->td[s->canary_task].task_id, s->canaries[i].id,
                                  s->canaries[i].output, s->canary_repeats[i], nll[i], rank,
                                  s->n_candidates, space, est.empirical, est.normal };
    }
  for (int i = 0; i < n; i++)
    ms_example_clear (&ex[i]);
  return ok && ms_store_add_canaries (s->store, rows, s->n_canaries, error);
}

/* Sparse codes of the run's hidden states: the prompts of every probed sample go through the
 * model once (prefill only) while a hook keeps the mean residual stream of the chosen layer per
 * sample; a dictionary is learned on those rows, then each row is coded at the study's L1
 * weight and, separately, with as few atoms as reach the study's fixed relative error. */
static gboolean
sparse_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  gint64 have = ms_store_count (s->store, "sparse", r->id, error);
  if (have != 0)
    return have > 0;
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  int layer = spec->sparse_layer < 0 ? cfg->num_layers - 1
                                     : MIN (spec->sparse_layer, cfg->num_layers - 1);
  s->phase = "sparse codes";
  study_emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, "sparse codes of the hidden states");
  g_autoptr (GPtrArray) ex = g_ptr_array_new ();
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < r->n_tasks; i++)
    {
      TaskData *t = &s->td[r->tasks[i]];
      GArray *sets[2] = { t->train_ex, t->heldout_ex };
      gint64 *sids[2] = { t->train_ids, t->heldout_ids };
      for (int j = 0; j < 2; j++)
        for (guint e = 0; e < sets[j]->len; e++)
          {
            g_ptr_array_add (ex, &g_array_index (sets[j], MsExample, e));
            int id = (int) sids[j][e];
            g_array_append_val (ids, id);
            g_array_append_val (labels, i);
          }
    }
  int N = ex->len;
  if (N < 2)
    return TRUE;
  g_autoptr (MsHiddenCapture) cap = ms_hidden_capture_new (ms_gpt_device (s->gpt), layer,
                                                           MS_CAPTURE_MEAN, cfg->channels, error);
  if (cap == NULL)
    return FALSE;
  MsGptHooks hooks = { .hidden_kind = MS_HIDDEN_RESIDUAL };
  ms_hidden_capture_hooks (cap, &hooks);
  ms_gpt_set_hooks (s->gpt, &hooks);
  int B = spec->probe.batch;
  gboolean ok = TRUE;
  for (int start = 0; ok && start < N; start += B)
    {
      int rows = MIN (B, N - start), Tp = 0;
      g_autofree int *lens = g_new (int, rows);
      for (int b = 0; b < rows; b++)
        {
          const MsExample *e = ex->pdata[start + b];
          lens[b] = e->prompt_len;
          Tp = MAX (Tp, lens[b]);
        }
      g_autofree int *tokens = g_new0 (int, (gsize) rows * Tp);
      g_autofree int *starts = g_new (int, rows);
      for (int b = 0; b < rows; b++)
        {
          const MsExample *e = ex->pdata[start + b];
          starts[b] = Tp - lens[b];
          for (int t = 0; t < lens[b]; t++)
            tokens[b * Tp + starts[b] + t] = e->tokens[t];
        }
      ok = ms_hidden_capture_batch_lens (cap, rows, lens, (int *) ids->data + start, error)
           && ms_gpt_forward (s->gpt, tokens, starts, NULL, rows, Tp, error);
    }
  ms_gpt_set_hooks (s->gpt, NULL);
  if (!ok || !ms_device_finish (ms_gpt_device (s->gpt), error))
    return FALSE;
  int n_rows = 0;
  const MsBuffer *x = ms_hidden_capture_rows (cap, &n_rows);
  MsSparseParams params;
  ms_sparse_params_init (&params);
  params.n_atoms = spec->sparse_atoms;
  params.lambda = spec->sparse_lambda;
  g_autoptr (MsDictionary) dict = ms_dictionary_learn (ms_gpt_blas (s->gpt), x, 0, n_rows,
                                                       cfg->channels, &params, error);
  if (dict == NULL)
    return FALSE;
  int K = spec->sparse_atoms;
  g_autoptr (MsBuffer) z = ms_buffer_new (ms_gpt_device (s->gpt), (gsize) n_rows * K * sizeof (float),
                                          error);
  g_autofree MsSparseSample *plain = g_new (MsSparseSample, n_rows);
  g_autofree MsSparseSample *fixed = g_new (MsSparseSample, n_rows);
  MsSparseEncodeOptions at_lambda = { 0 }, at_error = { .target_err = spec->sparse_error };
  g_autofree float *codes = g_new (float, (gsize) n_rows * K);
  if (z == NULL || !ms_sparse_encode (dict, x, 0, n_rows, &at_lambda, z, 0, plain, NULL, error)
      || !ms_buffer_read (ms_gpt_device (s->gpt), z, 0, codes, (gsize) n_rows * K * sizeof (float),
                          error)
      || !ms_sparse_encode (dict, x, 0, n_rows, &at_error, NULL, 0, fixed, NULL, error))
    return FALSE;
  const int *row_ids = ms_hidden_capture_sample_ids (cap);
  g_autofree MsStoreSparse *out = g_new0 (MsStoreSparse, n_rows);
  g_autofree gint32 *support = g_new (gint32, (gsize) n_rows * K);
  for (int i = 0; i < n_rows; i++)
    {
      gsize n_sup = 0;
      for (int k = 0; k < K; k++)
        if (fabsf (codes[(gsize) i * K + k]) > 1e-6f)
          support[(gsize) i * K + n_sup++] = k;
      out[i] = (MsStoreSparse) { r->id, row_ids[i], layer, plain[i].active, fixed[i].active,
                                 plain[i].l1, plain[i].rel_err, support + (gsize) i * K, n_sup };
    }
  return ms_store_add_sparse (s->store, out, n_rows, error);
}

/* Full attention maps of a few training samples per task (for heatmaps): the last layer's
 * attention over the sample's training text (prompt and output), averaged over heads, stored
 * with the sample's target probe. */
typedef struct {
  MsDevice *dev;
  int layer, T, NH;
  float *map;        /* (T, T) */
  GError *error;
} MapCtx;

static void
on_map_attention (gpointer user, const MsGptTensor *att)
{
  MapCtx *m = user;
  if (att->layer != m->layer || m->error)
    return;
  g_autofree float *one = g_new (float, (gsize) m->T * m->T);
  memset (m->map, 0, (gsize) m->T * m->T * sizeof (float));
  for (int h = 0; h < m->NH; h++)
    {
      if (!ms_attention_read_map (m->dev, att, 0, h, one, &m->error))
        return;
      for (gsize i = 0; i < (gsize) m->T * m->T; i++)
        m->map[i] += one[i] / m->NH;
    }
}

static gboolean
maps_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  const int max_t = 96;
  for (int i = 0; i < r->n_tasks; i++)
    {
      TaskData *t = &s->td[r->tasks[i]];
      for (guint e = 0, done = 0; e < t->train_ex->len && done < (guint) spec->attention_maps; e++)
        {
          const MsExample *ex = &g_array_index (t->train_ex, MsExample, e);
          gint64 generation_id, n_maps;
          if (!ms_store_find_generation (s->store, r->id, t->train_ids[e], "target",
                                         &generation_id, &n_maps, error))
            return FALSE;
          if (generation_id == 0)
            continue;  /* not probed (too long): try the next sample */
          done++;
          if (n_maps != 0)
            continue;  /* stored before an interruption */
          int T = MIN (ex->n_tokens - 1, max_t);
          g_autofree int *tokens = g_new (int, T);
          for (int k = 0; k < T; k++)
            tokens[k] = ex->tokens[k];
          g_autofree float *map = g_new0 (float, (gsize) T * T);
          MapCtx mc = { ms_gpt_device (s->gpt), cfg->num_layers - 1, T, cfg->num_heads, map };
          MsGptHooks hooks = { .layers = 1ull << mc.layer, .attention = on_map_attention,
                               .user = &mc };
          ms_gpt_set_hooks (s->gpt, &hooks);
          gboolean ok = ms_gpt_forward (s->gpt, tokens, NULL, NULL, 1, T, error)
                        && ms_device_finish (ms_gpt_device (s->gpt), error);
          ms_gpt_set_hooks (s->gpt, NULL);
          if (mc.error)
            {
              g_propagate_error (error, mc.error);
              return FALSE;
            }
          if (!ok)
            return FALSE;
          /* The axis labels: each token's text. */
          g_autoptr (JsonBuilder) b = json_builder_new ();
          json_builder_begin_array (b);
          for (int k = 0; k < T; k++)
            {
              g_autoptr (GByteArray) bytes = g_byte_array_new ();
              guint32 id = tokens[k];
              if (!ms_bpe_decode (s->bpe, &id, 1, bytes, error))
                return FALSE;
              g_byte_array_append (bytes, (const guint8 *) "", 1);
              g_autofree char *valid = g_utf8_make_valid ((const char *) bytes->data, -1);
              json_builder_add_string_value (b, valid);
            }
          json_builder_end_array (b);
          g_autofree char *labels = ms_json_builder_to_string (b, FALSE);
          MsStoreAttentionMap row = { generation_id, mc.layer, -1, T, T, labels, map };
          if (!ms_store_add_attention_maps (s->store, &row, 1, error))
            return FALSE;
        }
    }
  return TRUE;
}

typedef gboolean (*AnalysisFunc) (Study *s, Run *r, GError **error);

/* Runs the analyses the spec asks for, and says what each cost. */
gboolean
study_finish_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  struct { const char *name; gboolean on; AnalysisFunc fn; } steps[] = {
    { "attention maps", spec->attention && spec->attention_maps > 0, maps_run },
    { "membership inference", spec->mia, mia_run },
    { "canaries", spec->canary_task != NULL, canary_run },
    { "sparse codes", spec->sparse, sparse_run },
  };
  GString *cost = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      if (!steps[i].on)
        continue;
      gint64 t0 = g_get_monotonic_time ();
      if (!steps[i].fn (s, r, error))
        {
          g_string_free (cost, TRUE);
          return FALSE;
        }
      g_string_append_printf (cost, "%s%s %.1f s", cost->len ? ", " : "", steps[i].name,
                              (g_get_monotonic_time () - t0) / 1e6);
    }
  if (cost->len)
    {
      g_autofree char *m = g_strdup_printf ("analyses: %s", cost->str);
      study_emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, m);
    }
  g_string_free (cost, TRUE);
  g_autofree char *finished = ms_store_now ();
  MsStoreRunUpdate u = { .set = MS_RUN_SET_STATUS | MS_RUN_SET_PROBE_SECONDS | MS_RUN_SET_FINISHED,
                         .status = MS_RUN_DONE, .probe_seconds = s->probe_seconds,
                         .finished = finished };
  return ms_store_update_run (s->store, r->id, &u, error);
}
