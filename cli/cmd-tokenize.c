/* memscope tokenize: text to BPE token ids (printed, as JSON, or as an llm.c shard), ids back
 * to text, and training a new byte-level BPE tokenizer on text files. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-cli.h"
#include "common/ms-json.h"
#include "ms-config.h"
#include "common/ms-error.h"
#include "text/ms-bpe.h"
#include "text/ms-shard.h"

#define CMD "tokenize"

typedef struct {
  char *tokenizer;
  gboolean json;
  char *shard;
  gboolean append_eot;
  gboolean decode;
  gboolean train;
  int vocab_size;
  char *out;
} Options;

/* Reads FILE whole; "-" is standard input. */
static GBytes *
read_input (const char *file, GError **error)
{
  if (strcmp (file, "-") != 0)
    {
      char *data;
      gsize len;
      if (!g_file_get_contents (file, &data, &len, error))
        return NULL;
      return g_bytes_new_take (data, len);
    }
  GByteArray *b = g_byte_array_new ();
  guint8 buf[65536];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_byte_array_append (b, buf, n);
  if (ferror (stdin))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "standard input: read error");
      g_byte_array_unref (b);
      return NULL;
    }
  return g_byte_array_free_to_bytes (b);
}

static gboolean
write_stdout (const void *data, gsize len, GError **error)
{
  if ((len > 0 && fwrite (data, 1, len, stdout) != len) || fflush (stdout) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "standard output: write error");
      return FALSE;
    }
  return TRUE;
}

/* Parses token ids separated by white space or commas ('[' and ']' are skipped, so a JSON
 * array works too) and appends them to IDS. */
static gboolean
parse_ids (const char *name, GBytes *input, GArray *ids, GError **error)
{
  gsize len;
  const char *s = g_bytes_get_data (input, &len);
  for (gsize i = 0; i < len;)
    {
      if (g_ascii_isspace (s[i]) || s[i] == ',' || s[i] == '[' || s[i] == ']')
        {
          i++;
          continue;
        }
      gsize start = i;
      guint64 v = 0;
      while (i < len && g_ascii_isdigit (s[i]) && v <= G_MAXUINT32)
        v = 10 * v + (s[i++] - '0');
      gboolean ended = i == len || g_ascii_isspace (s[i]) || s[i] == ',' || s[i] == ']';
      if (i == start || !ended || v > G_MAXUINT32)
        {
          gsize end = start;
          while (end < len && end - start < 20 && !g_ascii_isspace (s[end]))
            end++;
          g_autofree char *word = g_strndup (s + start, end - start);
          g_autofree char *shown = g_utf8_make_valid (word, -1);
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: \"%s\" at byte %zu is not a token id (expected numbers separated by "
                       "spaces)", name, shown, start);
          return FALSE;
        }
      guint32 id = v;
      g_array_append_val (ids, id);
    }
  return TRUE;
}

static int
run_decode (const Options *o, char **files, int n_files)
{
  GError *error = NULL;
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (o->tokenizer, &error);
  if (bpe == NULL)
    return ms_cli_fail (CMD, error);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (o->shard)
    {
      gsize n;
      g_autofree guint16 *tokens = ms_shard_read (o->shard, &n, &error);
      if (tokens == NULL)
        return ms_cli_fail (CMD, error);
      g_array_set_size (ids, n);
      for (gsize i = 0; i < n; i++)
        g_array_index (ids, guint32, i) = tokens[i];
    }
  else
    for (int i = 0; i < MAX (n_files, 1); i++)
      {
        const char *name = n_files > 0 ? files[i] : "-";
        g_autoptr (GBytes) input = read_input (name, &error);
        if (input == NULL
            || !parse_ids (strcmp (name, "-") == 0 ? "standard input" : name, input, ids, &error))
          return ms_cli_fail (CMD, error);
      }
  g_autoptr (GByteArray) text = g_byte_array_new ();
  if (!ms_bpe_decode (bpe, (guint32 *) ids->data, ids->len, text, &error)
      || !write_stdout (text->data, text->len, &error))
    return ms_cli_fail (CMD, error);
  return 0;
}

static int
print_json (MsBpe *bpe, GArray *ids)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ms_json_add_int (b, "n_tokens", ids->len);
  json_builder_set_member_name (b, "ids");
  json_builder_begin_array (b);
  for (guint i = 0; i < ids->len; i++)
    json_builder_add_int_value (b, g_array_index (ids, guint32, i));
  json_builder_end_array (b);
  /* GPT-2's byte-level strings ("Ġthe"): always valid UTF-8, unlike a token's raw bytes. */
  json_builder_set_member_name (b, "tokens");
  json_builder_begin_array (b);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *s = ms_bpe_token_string (bpe, g_array_index (ids, guint32, i));
      json_builder_add_string_value (b, s);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_autofree char *text = ms_json_generate (gen);
  GError *error = NULL;
  if (!write_stdout (text, strlen (text), &error) || !write_stdout ("\n", 1, &error))
    return ms_cli_fail (CMD, error);
  return 0;
}

static int
run_encode (const Options *o, char **files, int n_files)
{
  GError *error = NULL;
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (o->tokenizer, &error);
  if (bpe == NULL)
    return ms_cli_fail (CMD, error);
  if (o->append_eot && ms_bpe_eot (bpe) < 0)
    return ms_cli_usage (CMD, "--append-eot: the tokenizer has no %s token", MS_BPE_EOT_STRING);
  if (o->shard && ms_bpe_vocab_size (bpe) > MS_SHARD_MAX_TOKEN + 1)
    return ms_cli_usage (CMD, "--shard: %u tokens do not fit the shards' uint16",
                         ms_bpe_vocab_size (bpe));
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  gsize n_bytes = 0;
  for (int i = 0; i < MAX (n_files, 1); i++)
    {
      g_autoptr (GBytes) input = read_input (n_files > 0 ? files[i] : "-", &error);
      if (input == NULL)
        return ms_cli_fail (CMD, error);
      gsize len;
      const char *text = g_bytes_get_data (input, &len);
      ms_bpe_encode (bpe, text, len, ids);
      n_bytes += len;
      if (o->append_eot)
        {
          guint32 eot = ms_bpe_eot (bpe);
          g_array_append_val (ids, eot);
        }
    }
  if (o->shard)
    {
      if (!ms_shard_write (o->shard, (guint32 *) ids->data, ids->len, &error))
        return ms_cli_fail (CMD, error);
      g_printerr ("%s: %u tokens from %zu bytes\n", o->shard, ids->len, n_bytes);
      return 0;
    }
  if (o->json)
    return print_json (bpe, ids);
  GString *line = g_string_sized_new (6 * ids->len + 1);
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (line, i ? " %u" : "%u", g_array_index (ids, guint32, i));
  g_string_append_c (line, '\n');
  gboolean ok = write_stdout (line->str, line->len, &error);
  g_string_free (line, TRUE);
  return ok ? 0 : ms_cli_fail (CMD, error);
}

static void
progress (const char *message, gpointer user_data)
{
  g_printerr ("memscope tokenize: %s\n", message);
}

static int
run_train (const Options *o, char **files, int n_files)
{
  GError *error = NULL;
  g_autoptr (MsBpeTrainer) t = ms_bpe_trainer_new ();
  gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < n_files; i++)
    {
      gboolean ok;
      if (strcmp (files[i], "-") == 0)
        {
          g_autoptr (GBytes) input = read_input ("-", &error);
          ok = input != NULL;
          if (ok)
            ms_bpe_trainer_add_text (t, g_bytes_get_data (input, NULL), g_bytes_get_size (input));
        }
      else
        ok = ms_bpe_trainer_add_file (t, files[i], &error);
      if (!ok)
        return ms_cli_fail (CMD, error);
      g_printerr ("memscope tokenize: counted %s: %" G_GUINT64_FORMAT " words, %"
                  G_GUINT64_FORMAT " distinct so far (%.1f s)\n", files[i],
                  ms_bpe_trainer_n_words (t), ms_bpe_trainer_n_distinct (t),
                  (g_get_monotonic_time () - t0) / 1e6);
    }
  g_autoptr (MsBpe) bpe = ms_bpe_trainer_train (t, o->vocab_size, progress, NULL, &error);
  if (bpe == NULL || !ms_bpe_save (bpe, o->out, &error))
    return ms_cli_fail (CMD, error);
  g_printerr ("memscope tokenize: wrote %s/%s and %s (%u tokens, %u merges, <|endoftext|> = %d) "
              "in %.1f s\n", o->out, MS_BPE_ENCODER_FILE, MS_BPE_MERGES_FILE,
              ms_bpe_vocab_size (bpe), ms_bpe_n_merges (bpe), ms_bpe_eot (bpe),
              (g_get_monotonic_time () - t0) / 1e6);
  return 0;
}

int
ms_cmd_tokenize (int argc, char **argv)
{
  Options o = { 0 };
  GOptionEntry entries[] = {
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &o.tokenizer,
      "Tokenizer: a directory with encoder.json and vocab.bpe (default GPT-2)",
      "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json,
      "Print JSON: n_tokens, ids and tokens (GPT-2's byte-level strings)",
      NULL },
    { "shard", 0, 0, G_OPTION_ARG_FILENAME, &o.shard,
      "Write an llm.c token shard (uint16 ids); with --decode, read one", "FILE" },
    { "append-eot", 0, 0, G_OPTION_ARG_NONE, &o.append_eot,
      "Put <|endoftext|> after each input file (one document each)", NULL },
    { "decode", 0, 0, G_OPTION_ARG_NONE, &o.decode,
      "Turn ids (numbers separated by spaces or commas) back into text", NULL },
    { "train", 0, 0, G_OPTION_ARG_NONE, &o.train,
      "Train a new tokenizer on the FILEs (needs --vocab-size and --out)", NULL },
    { "vocab-size", 0, 0, G_OPTION_ARG_INT, &o.vocab_size,
      "Size of the trained vocabulary: 256 bytes + merges + 1 (>= 257)", "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out,
      "Directory for the trained encoder.json and vocab.bpe", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("[FILE…] - GPT-2 byte-level BPE tokens");
  g_option_context_set_summary (ctx,
    "Encode text into token ids with a byte-level BPE tokenizer in GPT-2's format, decode ids\n"
    "back into text, write llm.c token shards, or train a new tokenizer. FILEs are read whole,\n"
    "each one a document; without FILEs, or for '-', standard input is read.");
  g_option_context_set_description (ctx,
    "Examples:\n"
    "  echo 'Hello world' | memscope tokenize       prints 15496 995 198\n"
    "  memscope tokenize --json notes.txt           ids and token strings\n"
    "  memscope tokenize --append-eot --shard train.bin a.txt b.txt\n"
    "                                               an llm.c shard: a <|endoftext|> b <|endoftext|>\n"
    "  memscope tokenize --decode ids.txt           ids back to text (bytes, as they were)\n"
    "  memscope tokenize --decode --shard train.bin the text of a shard\n"
    "  memscope tokenize --train --vocab-size 8192 --out mytok/ corpus/*.txt\n"
    "  memscope tokenize --tokenizer mytok/ notes.txt\n"
    "\n"
    "Encoding is GPT-2's: its pre-tokenizing pattern, then merges by rank; any bytes, also\n"
    "invalid UTF-8, decode back exactly. A literal \"<|endoftext|>\" in the text is ordinary text;\n"
    "use --append-eot for the token. The default tokenizer is " MS_SOURCE_DATADIR "/tokenizer\n"
    "(or " MS_DATADIR "/tokenizer once installed).\n"
    "Training counts the words of all FILEs, then learns merges (most frequent pair first, ties\n"
    "by byte order) and writes encoder.json and vocab.bpe to --out, loadable with --tokenizer.\n"
    "Progress goes to standard error.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_set_prgname ("memscope " CMD);  /* for --help's "Usage:" line */
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  char **files = argv + 1;
  int n_files = argc - 1;
  int ret;

  if (o.train)
    {
      if (o.decode || o.shard || o.json || o.append_eot || o.tokenizer)
        ret = ms_cli_usage (CMD, "--train takes only --vocab-size, --out and FILEs");
      else if (o.vocab_size < 257)
        ret = ms_cli_usage (CMD, "--train needs --vocab-size N with N >= 257");
      else if (o.out == NULL)
        ret = ms_cli_usage (CMD, "--train needs --out DIR");
      else if (n_files == 0)
        ret = ms_cli_usage (CMD, "--train needs text FILEs to learn from");
      else
        ret = run_train (&o, files, n_files);
    }
  else if (o.vocab_size || o.out)
    ret = ms_cli_usage (CMD, "--vocab-size and --out are for --train");
  else if (o.decode)
    {
      if (o.json || o.append_eot)
        ret = ms_cli_usage (CMD, "--json and --append-eot are for encoding");
      else if (o.shard && n_files > 0)
        ret = ms_cli_usage (CMD, "--decode --shard FILE reads the shard, not FILEs");
      else
        ret = run_decode (&o, files, n_files);
    }
  else if (o.json && o.shard)
    ret = ms_cli_usage (CMD, "--json and --shard do not go together");
  else
    ret = run_encode (&o, files, n_files);

  g_free (o.tokenizer);
  g_free (o.shard);
  g_free (o.out);
  return ret;
}
