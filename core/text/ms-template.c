/* Prompt templates and tokenized examples. The template's three literal parts and the record's
 * input and output are encoded one by one, so the input's and the output's token spans are
 * exact: no BPE merge ever crosses a boundary between them. */
#include "text/ms-dataset.h"

#include <string.h>

#include "common/ms-error.h"

struct _MsTemplate {
  char *text;
  char *prefix, *middle, *suffix;   /* before {input}, between, after {output} */
};

void
ms_template_free (MsTemplate *t)
{
  if (t == NULL)
    return;
  g_free (t->text);
  g_free (t->prefix);
  g_free (t->middle);
  g_free (t->suffix);
  g_free (t);
}

static gboolean
is_word_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static void
template_error (GError **error, const char *text, const char *what, gsize at)
{
  g_autofree char *quoted = g_strescape (text, NULL);
  if (at == G_MAXSIZE)
    g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "template \"%s\": %s (expected one {input} "
                 "and then one {output})", quoted, what);
  else
    g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "template \"%s\": %s at byte %zu (expected "
                 "one {input} and then one {output})", quoted, what, at);
}

MsTemplate *
ms_template_parse (const char *text, GError **error)
{
  g_return_val_if_fail (text != NULL, NULL);
  gsize in_at = G_MAXSIZE, out_at = G_MAXSIZE;
  gsize len = strlen (text);
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] != '{')
        continue;
      gsize j = i + 1;
      while (j < len && is_word_char (text[j]))
        j++;
      if (j == i + 1 || j >= len || text[j] != '}')
        continue;  /* not a {word}: literal text */
      g_autofree char *word = g_strndup (text + i + 1, j - i - 1);
      if (strcmp (word, "input") == 0)
        {
          if (in_at != G_MAXSIZE)
            {
              template_error (error, text, "a second {input}", i);
              return NULL;
            }
          in_at = i;
        }
      else if (strcmp (word, "output") == 0)
        {
          if (out_at != G_MAXSIZE)
            {
              template_error (error, text, "a second {output}", i);
              return NULL;
            }
          if (in_at == G_MAXSIZE)
            {
              template_error (error, text, "{output} before {input}", i);
              return NULL;
            }
          out_at = i;
        }
      else
        {
          g_autofree char *what = g_strdup_printf ("unknown placeholder {%s}", word);
          template_error (error, text, what, i);
          return NULL;
        }
      i = j;
    }
  if (in_at == G_MAXSIZE)
    {
      template_error (error, text, "no {input}", G_MAXSIZE);
      return NULL;
    }
  if (out_at == G_MAXSIZE)
    {
      template_error (error, text, "no {output}", G_MAXSIZE);
      return NULL;
    }
  MsTemplate *t = g_new0 (MsTemplate, 1);
  t->text = g_strdup (text);
  t->prefix = g_strndup (text, in_at);
  gsize mid = in_at + strlen ("{input}");
  t->middle = g_strndup (text + mid, out_at - mid);
  t->suffix = g_strdup (text + out_at + strlen ("{output}"));
  return t;
}

const char *
ms_template_text (const MsTemplate *t)
{
  return t->text;
}

const char *
ms_template_prefix (const MsTemplate *t)
{
  return t->prefix;
}

const char *
ms_template_middle (const MsTemplate *t)
{
  return t->middle;
}

const char *
ms_template_suffix (const MsTemplate *t)
{
  return t->suffix;
}

char *
ms_template_render_prompt (const MsTemplate *t, const char *input)
{
  return g_strconcat (t->prefix, input, t->middle, NULL);
}

char *
ms_template_unescape (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p; p++)
    {
      if (*p != '\\' || p[1] == '\0')
        {
          g_string_append_c (out, *p);
          continue;
        }
      switch (p[1])
        {
        case 'n':
          g_string_append_c (out, '\n');
          break;
        case 't':
          g_string_append_c (out, '\t');
          break;
        case 'r':
          g_string_append_c (out, '\r');
          break;
        case '\\':
          g_string_append_c (out, '\\');
          break;
        default:
          g_string_append_c (out, '\\');
          continue;  /* the next character is read as itself */
        }
      p++;
    }
  return g_string_free (out, FALSE);
}

void
ms_example_clear (MsExample *ex)
{
  g_clear_pointer (&ex->tokens, g_free);
  ex->n_tokens = 0;
}

static void
encode (MsBpe *bpe, const char *text, GArray *ids)
{
  ms_bpe_encode (bpe, text, strlen (text), ids);
}

gboolean
ms_template_tokenize (const MsTemplate *t, MsBpe *bpe, const MsRecord *r, MsExample *out,
                      GError **error)
{
  gint eot = ms_bpe_eot (bpe);
  if (eot < 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "the tokenizer has no %s token, which "
                   "ends every example", MS_BPE_EOT_STRING);
      return FALSE;
    }
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  encode (bpe, t->prefix, ids);
  gsize input_start = ids->len;
  encode (bpe, r->input, ids);
  gsize input_end = ids->len;
  encode (bpe, t->middle, ids);
  gsize prompt_len = ids->len;
  encode (bpe, r->output, ids);
  gsize output_end = ids->len;
  encode (bpe, t->suffix, ids);
  guint32 e = (guint32) eot;
  g_array_append_val (ids, e);
  if (ids->len > G_MAXINT)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "record on line %u has %u tokens, more "
                   "than an example can hold", r->line, ids->len);
      g_array_unref (ids);
      return FALSE;
    }
  memset (out, 0, sizeof *out);
  out->n_tokens = (int) ids->len;
  out->tokens = (guint32 *) g_array_free (ids, FALSE);
  out->input_start = (int) input_start;
  out->input_end = (int) input_end;
  out->prompt_len = (int) prompt_len;
  out->output_start = (int) prompt_len;
  out->output_end = (int) output_end;
  out->record = r;
  return TRUE;
}

GArray *
ms_task_examples (const MsTaskData *data, const MsTemplate *t, MsBpe *bpe, GError **error)
{
  GArray *examples = g_array_sized_new (FALSE, TRUE, sizeof (MsExample), data->records->len);
  g_array_set_clear_func (examples, (GDestroyNotify) ms_example_clear);
  for (guint i = 0; i < data->records->len; i++)
    {
      MsExample ex;
      if (!ms_template_tokenize (t, bpe, g_ptr_array_index (data->records, i), &ex, error))
        {
          g_prefix_error (error, "%s: ", data->path);
          g_array_unref (examples);
          return NULL;
        }
      g_array_append_val (examples, ex);
    }
  return examples;
}

gboolean
ms_task_select (MsTaskData *data, const MsTemplate *tpl, MsBpe *bpe, int max_tokens, int max_n,
                GError **error)
{
  if (max_tokens > 0)
    {
      /* Keep the records a row can hold whole, in file order (backwards, so that removing
       * one leaves the indices still to visit in place). */
      g_autoptr (GArray) ex = ms_task_examples (data, tpl, bpe, error);
      if (ex == NULL)
        return FALSE;
      for (guint i = ex->len; i-- > 0;)
        if (g_array_index (ex, MsExample, i).n_tokens > max_tokens)
          g_ptr_array_remove_index (data->records, i);
    }
  if (max_n > 0 && data->records->len > (guint) max_n)
    g_ptr_array_set_size (data->records, max_n);
  return TRUE;
}
