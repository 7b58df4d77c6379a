/* Parameter layout of GPT-2 in llm.c's order. */
#include "ms-gpt-config.h"

#include "common/ms-error.h"

void
ms_gpt_param_sizes (const MsGptConfig *cfg, gsize sizes[MS_N_PARAMS])
{
  gsize Vp = cfg->padded_vocab_size, C = cfg->channels, L = cfg->num_layers;
  gsize maxT = cfg->max_seq_len;
  sizes[MS_WTE] = Vp * C;
  sizes[MS_WPE] = maxT * C;
  sizes[MS_LN1W] = L * C;
  sizes[MS_LN1B] = L * C;
  sizes[MS_QKVW] = L * 3 * C * C;
  sizes[MS_QKVB] = L * 3 * C;
  sizes[MS_ATTPROJW] = L * C * C;
  sizes[MS_ATTPROJB] = L * C;
  sizes[MS_LN2W] = L * C;
  sizes[MS_LN2B] = L * C;
  sizes[MS_FCW] = L * 4 * C * C;
  sizes[MS_FCB] = L * 4 * C;
  sizes[MS_FCPROJW] = L * C * 4 * C;
  sizes[MS_FCPROJB] = L * C;
  sizes[MS_LNFW] = C;
  sizes[MS_LNFB] = C;
}

gsize
ms_gpt_param_offsets (const MsGptConfig *cfg, gsize offsets[MS_N_PARAMS])
{
  gsize sizes[MS_N_PARAMS], total = 0;
  ms_gpt_param_sizes (cfg, sizes);
  for (int i = 0; i < MS_N_PARAMS; i++)
    {
      offsets[i] = total;
      total += sizes[i];
    }
  return total;
}

const char *
ms_gpt_param_name (int which)
{
  static const char *names[MS_N_PARAMS] = {
    "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb", "ln2w", "ln2b",
    "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"
  };
  g_return_val_if_fail (which >= 0 && which < MS_N_PARAMS, "?");
  return names[which];
}

gboolean
ms_gpt_config_validate (const MsGptConfig *cfg, GError **error)
{
  if (cfg->max_seq_len <= 0 || cfg->vocab_size <= 0 || cfg->num_layers <= 0
      || cfg->num_heads <= 0 || cfg->channels <= 0 || cfg->padded_vocab_size <= 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "sizes must be positive (maxT=%d V=%d Vp=%d L=%d NH=%d C=%d)",
                   cfg->max_seq_len, cfg->vocab_size, cfg->padded_vocab_size, cfg->num_layers,
                   cfg->num_heads, cfg->channels);
      return FALSE;
    }
  if (cfg->channels % cfg->num_heads != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "channels (%d) must be a multiple of heads (%d)", cfg->channels,
                   cfg->num_heads);
      return FALSE;
    }
  if (cfg->vocab_size > cfg->padded_vocab_size)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "vocabulary (%d) is larger than its padded size (%d)", cfg->vocab_size,
                   cfg->padded_vocab_size);
      return FALSE;
    }
  /* Bound each size before any product is formed, so that the sums below cannot wrap even
   * in 64 bits, then keep every offset within int range: kernels take element offsets as
   * int. The bounds are far above any GPT-2 shape (C 1600, L 48, T 1024, V 50257). */
  static const struct { const char *name; int max; } bounds[] = {
    { "max_seq_len", 1 << 20 }, { "padded_vocab_size", 1 << 24 }, { "num_layers", 1 << 12 },
    { "num_heads", 1 << 12 }, { "channels", 1 << 16 },
  };
  const int values[] = { cfg->max_seq_len, cfg->padded_vocab_size, cfg->num_layers,
                         cfg->num_heads, cfg->channels };
  for (gsize i = 0; i < G_N_ELEMENTS (bounds); i++)
    if (values[i] > bounds[i].max)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s = %d is too large (at most %d)",
                     bounds[i].name, values[i], bounds[i].max);
        return FALSE;
      }
  gsize sizes[MS_N_PARAMS], total = 0;
  ms_gpt_param_sizes (cfg, sizes);
  for (int i = 0; i < MS_N_PARAMS; i++)
    if (!g_size_checked_add (&total, total, sizes[i]) || total > G_MAXINT32)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                     "model too large (over 2^31 parameters, at tensor %s)",
                     ms_gpt_param_name (i));
        return FALSE;
      }
  return TRUE;
}

gboolean
ms_gpt_batch_validate (int B, int T, GError **error)
{
  /* B·T indexes int arrays of tokens everywhere, so it must stay well inside int range. */
  if (B <= 0 || T <= 0 || (gint64) B * T > MS_GPT_MAX_BATCH_TOKENS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "batch B=%d × T=%d: both must be positive and B·T at most %d", B, T,
                   MS_GPT_MAX_BATCH_TOKENS);
      return FALSE;
    }
  return TRUE;
}
