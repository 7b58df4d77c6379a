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
  /* Keep every offset within int range: kernels take element offsets as int. */
  gsize offsets[MS_N_PARAMS];
  if (ms_gpt_param_offsets (cfg, offsets) > G_MAXINT32)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "model too large (over 2^31 parameters)");
      return FALSE;
    }
  return TRUE;
}
