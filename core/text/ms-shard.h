/* llm.c token shards (the .bin files of its data loaders): a header of 256 little-endian
 * int32 (magic 20240520, version 1, token count), then the tokens as little-endian uint16. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_SHARD_MAGIC 20240520
#define MS_SHARD_VERSION 1
#define MS_SHARD_HEADER_INTS 256
#define MS_SHARD_MAX_TOKEN 65535

/* Writes TOKENS[0..N) to PATH through a temporary file in the same folder renamed over PATH,
 * so PATH is either the old file or the whole new one. Fails (MS_ERROR_INVALID) on a token
 * above 65535 or N above G_MAXINT32, writing nothing. */
gboolean ms_shard_write (const char *path, const guint32 *tokens, gsize n, GError **error);
/* Reads a shard: the tokens (g_free) and their number in *N. Errors (MS_ERROR_FORMAT) name
 * the file and what is wrong: truncated header, wrong magic or version, a count that does not
 * match the file's size. */
guint16 *ms_shard_read (const char *path, gsize *n, GError **error);

G_END_DECLS
