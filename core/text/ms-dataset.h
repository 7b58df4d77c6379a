/* Fine-tuning data: task datasets as JSONL records {"task","input","output","id"}, prompt
 * templates such as "{input}\nTL;DR: {output}", and the tokenized examples they make, with the
 * exact token spans of the input and the output. */
#pragma once

#include <glib.h>

#include "text/ms-bpe.h"

G_BEGIN_DECLS

/* Lines longer than this (bytes, without the newline) are refused. */
#define MS_DATASET_MAX_LINE ((gsize) 16 << 20)
/* The template used when a task names none. */
#define MS_TEMPLATE_DEFAULT "{input}\n=> {output}"

typedef struct {
  char *task, *input, *output, *id;   /* valid UTF-8, no NUL */
  guint line;                         /* 1-based line of the record in its file */
} MsRecord;

typedef struct {
  char *name;
  char *path;
  GPtrArray *records;                 /* MsRecord*, in file order */
  char sha256[65];                    /* of the file's bytes, lowercase hex */
} MsTaskData;

/* Loads PATH as task NAME: one JSON object per line with string members "task", "input",
 * "output" and "id" (other members are ignored; blank lines are skipped; a UTF-8 byte order
 * mark and CRLF line ends are accepted). Every record's "task" must equal NAME and ids must be
 * unique within the file. Errors name FILE:LINE and what was expected: MS_ERROR_FORMAT for
 * malformed content, G_FILE_ERROR when the file cannot be read. */
MsTaskData *ms_task_data_load (const char *name, const char *path, GError **error);
void ms_task_data_free (MsTaskData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTaskData, ms_task_data_free)

/* One record as tokens: enc(text before {input}) + enc(input) + enc(text between)
 * + enc(output) + enc(text after {output}) + [EOT], each segment encoded on its own so that the
 * spans below are exact (decoding a span gives back the record's text byte for byte). */
typedef struct {
  guint32 *tokens;                    /* (n_tokens) */
  int n_tokens;
  int input_start, input_end;         /* the input's tokens: [input_start, input_end) */
  int prompt_len;                     /* tokens before the output: the extraction prompt */
  int output_start, output_end;       /* the output's tokens; output_start == prompt_len */
                                      /* the EOT is at n_tokens-1 (>= output_end) */
  const MsRecord *record;             /* borrowed from the MsTaskData, which must outlive it */
} MsExample;

/* Frees the tokens of EX (not EX itself); usable as a GArray clear function. */
void ms_example_clear (MsExample *ex);

typedef struct _MsTemplate MsTemplate;

/* Parses a template: text with exactly one {input} and then exactly one {output}; any other
 * {word} (letters, digits, '_') is an error, other braces are literal text. Errors are
 * MS_ERROR_INVALID and quote the template and the byte offset. */
MsTemplate *ms_template_parse (const char *text, GError **error);
void ms_template_free (MsTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTemplate, ms_template_free)
/* The text the template was parsed from. */
const char *ms_template_text (const MsTemplate *t);
/* The three literal parts: before {input}, between, after {output}. */
const char *ms_template_prefix (const MsTemplate *t);
const char *ms_template_middle (const MsTemplate *t);
const char *ms_template_suffix (const MsTemplate *t);
/* The prompt text of INPUT: prefix + INPUT + middle (what a model continues with the output).
 * Note that its tokens can differ from MsExample's prompt tokens, which encode the parts
 * separately; use MsExample.tokens[0..prompt_len) to prompt exactly as in training. */
char *ms_template_render_prompt (const MsTemplate *t, const char *input);

/* Interprets the escapes of a template typed on a command line: \n, \t, \r and \\; any other
 * backslash is kept as it is. Returns a new string. */
char *ms_template_unescape (const char *text);

/* Tokenizes record R into OUT (whose tokens the caller frees with ms_example_clear). Fails
 * (MS_ERROR_INVALID) when the tokenizer has no <|endoftext|>. */
gboolean ms_template_tokenize (const MsTemplate *t, MsBpe *bpe, const MsRecord *r,
                               MsExample *out, GError **error);
/* Tokenizes all records of DATA: a GArray of MsExample in file order, whose clear function
 * frees the tokens (g_array_unref frees everything). DATA must outlive the array. */
GArray *ms_task_examples (const MsTaskData *data, const MsTemplate *t, MsBpe *bpe,
                          GError **error);

/* Keeps the first MAX_N records of DATA (0 = all) among those whose example fits in
 * MAX_TOKENS tokens (0 = any): the records a run trains on. */
gboolean ms_task_select (MsTaskData *data, const MsTemplate *tpl, MsBpe *bpe, int max_tokens,
                         int max_n, GError **error);

G_END_DECLS
