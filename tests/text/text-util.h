/* Helpers shared by the tests of core/text: GPT-2's files from the fixtures, small tokenizer
 * directories written on the fly, and encoding into plain arrays. */
#pragma once

#include <glib.h>

#include "text/ms-bpe.h"

/* GPT-2's tokenizer from tests/fixtures/gpt2 (loaded once per test program). */
MsBpe *text_test_gpt2 (void);
/* Ids of TEXT[0..LEN) (guint32). */
GArray *text_test_encode (MsBpe *bpe, const char *text, gsize len);
/* Writes CONTENT (LEN bytes, or strlen when -1) to DIR/NAME. */
void text_test_write (const char *dir, const char *name, const char *content, gssize len);
/* A fresh directory under the test's temporary directory. */
char *text_test_newdir (const char *name);
/* GPT-2's byte-level character of byte B (bytes_to_unicode, written again for the tests). */
gunichar text_test_byte_char (guint8 b);
/* An encoder.json body (without the closing brace) with the 256 byte tokens in GPT-2's order,
 * ids 0-255; append ", \"tok\": id" entries and "}". */
GString *text_test_byte_encoder (void);
/* Asserts that *ERROR is set, in DOMAIN with CODE, and that its message holds each of the
 * NULL-terminated strings. Clears *ERROR. */
void text_test_assert_error (GError **error, GQuark domain, int code, ...) G_GNUC_NULL_TERMINATED;
