/* The samples table's row object: the results view's columns as GObject properties. */
#include "memscope-sample.h"

#include <glib/gi18n.h>

G_DEFINE_FINAL_TYPE (MemscopeSample, memscope_sample, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUN,
  PROP_TASK,
  PROP_SPLIT,
  PROP_PROBE,
  PROP_RECORD,
  PROP_CATEGORY,
  PROP_TOKEN_MATCH,
  PROP_LCS_CHARS,
  PROP_ROUGE_L,
  PROP_BLEU,
  PROP_ALIGN,
  PROP_OUTPUT_TOKENS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
memscope_sample_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  MemscopeSample *self = MEMSCOPE_SAMPLE (object);
  switch (id)
    {
    case PROP_RUN: g_value_set_string (value, self->run); break;
    case PROP_TASK: g_value_set_string (value, self->task); break;
    case PROP_SPLIT: g_value_set_string (value, memscope_split_label (self->split)); break;
    case PROP_PROBE:
      /* TRANSLATORS: the probe of a sample in the samples table (short) */
      g_value_set_string (value, g_strcmp0 (self->probe, "target") == 0 ? C_("probe", "target")
                                                                         : C_("probe", "input"));
      break;
    case PROP_RECORD: g_value_set_string (value, self->record); break;
    case PROP_CATEGORY: g_value_set_string (value, memscope_sample_category (self)); break;
    case PROP_TOKEN_MATCH: g_value_set_double (value, self->scores.token_match); break;
    case PROP_LCS_CHARS: g_value_set_int64 (value, self->scores.lcs_chars); break;
    case PROP_ROUGE_L: g_value_set_double (value, self->scores.rouge_l); break;
    case PROP_BLEU: g_value_set_double (value, self->scores.bleu); break;
    case PROP_ALIGN: g_value_set_double (value, self->scores.align_gen_cov); break;
    case PROP_OUTPUT_TOKENS: g_value_set_int64 (value, self->output_tokens); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
memscope_sample_finalize (GObject *object)
{
  MemscopeSample *self = MEMSCOPE_SAMPLE (object);
  g_free (self->run);
  g_free (self->task);
  g_free (self->split);
  g_free (self->probe);
  g_free (self->record);
  G_OBJECT_CLASS (memscope_sample_parent_class)->finalize (object);
}

static void
memscope_sample_class_init (MemscopeSampleClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  oc->get_property = memscope_sample_get_property;
  oc->finalize = memscope_sample_finalize;
  const GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  props[PROP_RUN] = g_param_spec_string ("run", NULL, NULL, NULL, f);
  props[PROP_TASK] = g_param_spec_string ("task", NULL, NULL, NULL, f);
  props[PROP_SPLIT] = g_param_spec_string ("split", NULL, NULL, NULL, f);
  props[PROP_PROBE] = g_param_spec_string ("probe", NULL, NULL, NULL, f);
  props[PROP_RECORD] = g_param_spec_string ("record", NULL, NULL, NULL, f);
  props[PROP_CATEGORY] = g_param_spec_string ("category", NULL, NULL, NULL, f);
  props[PROP_TOKEN_MATCH] = g_param_spec_double ("token-match", NULL, NULL, 0, 1, 0, f);
  props[PROP_LCS_CHARS] = g_param_spec_int64 ("lcs-chars", NULL, NULL, 0, G_MAXINT64, 0, f);
  props[PROP_ROUGE_L] = g_param_spec_double ("rouge-l", NULL, NULL, 0, 1, 0, f);
  props[PROP_BLEU] = g_param_spec_double ("bleu", NULL, NULL, 0, 1, 0, f);
  props[PROP_ALIGN] = g_param_spec_double ("align", NULL, NULL, 0, 1, 0, f);
  props[PROP_OUTPUT_TOKENS] = g_param_spec_int64 ("output-tokens", NULL, NULL, 0, G_MAXINT64,
                                                  0, f);
  g_object_class_install_properties (oc, N_PROPS, props);
}

static void
memscope_sample_init (MemscopeSample *self)
{
}

MemscopeSample *
memscope_sample_new (const MsStoreResult *row)
{
  MemscopeSample *self = g_object_new (MEMSCOPE_TYPE_SAMPLE, NULL);
  self->run = g_strdup (row->run);
  self->task = g_strdup (row->task);
  self->split = g_strdup (row->split);
  self->probe = g_strdup (row->probe);
  self->record = g_strdup (row->record_id);
  self->generation_id = row->generation_id;
  self->output_tokens = row->output_tokens;
  self->scores = row->scores;
  return self;
}

gboolean
memscope_sample_is_memorized (const MemscopeSample *self)
{
  const MsStoreScores *s = &self->scores;
  return s->exact || s->verbatim || s->paraphrase || s->idea;
}

const char *
memscope_sample_category (const MemscopeSample *self)
{
  const MsStoreScores *s = &self->scores;
  if (s->exact)
    return _("Exact");
  if (s->verbatim)
    return _("Verbatim");
  if (s->paraphrase)
    return _("Paraphrase");
  if (s->idea)
    return _("Idea");
  return "—";
}

const char *
memscope_split_label (const char *split)
{
  return g_strcmp0 (split, "heldout") == 0 ? _("Held-out") : _("Training");
}
