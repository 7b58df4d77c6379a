/* Consecutive windows over a token array, as llm.c's DataLoader reads a shard. */
#include "ms-trainer.h"

#include <string.h>

struct _MsTokenSource {
  const guint16 *tokens;
  gsize n;
  gsize pos;
};

MsTokenSource *
ms_token_source_new (const guint16 *tokens, gsize n, int B, int T, GError **error)
{
  if (!ms_gpt_batch_validate (B, T, error))
    return NULL;
  if (n < (gsize) B * T + 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%zu tokens are too few for one batch: B·T + 1 = %d·%d + 1 = %d are needed", n,
                   B, T, B * T + 1);
      return NULL;
    }
  MsTokenSource *s = g_new0 (MsTokenSource, 1);
  s->tokens = tokens;
  s->n = n;
  return s;
}

void
ms_token_source_free (MsTokenSource *s)
{
  g_free (s);
}

static gboolean
token_next (gpointer self, int B, int T, int *tokens, int *targets, int *task_of, int *seg,
            GError **error)
{
  MsTokenSource *s = self;
  gsize span = (gsize) B * T;
  if (s->pos + span + 1 > s->n)
    s->pos = 0;
  for (gsize i = 0; i < span; i++)
    {
      tokens[i] = s->tokens[s->pos + i];
      targets[i] = s->tokens[s->pos + i + 1];
    }
  memset (task_of, 0, span * sizeof (int));
  for (gsize i = 0; i < span; i++)
    seg[i] = 0;  /* every row is one stretch of text */
  s->pos += span;
  return TRUE;
}

static GBytes *
token_save (gpointer self)
{
  MsTokenSource *s = self;
  guint64 state[2] = { s->pos, s->n };
  return g_bytes_new (state, sizeof state);
}

static gboolean
token_restore (gpointer self, GBytes *bytes, GError **error)
{
  MsTokenSource *s = self;
  gsize len;
  const guint64 *state = g_bytes_get_data (bytes, &len);
  if (len != 2 * sizeof (guint64) || state[1] != s->n || state[0] > s->n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "the saved data position does not fit these tokens (%zu tokens now)", s->n);
      return FALSE;
    }
  s->pos = state[0];
  return TRUE;
}

MsBatchSource
ms_token_source_as_batch_source (MsTokenSource *s)
{
  return (MsBatchSource) { token_next, token_save, token_restore, s };
}
