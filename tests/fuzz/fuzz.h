/* Fuzz harnesses: one per format memscope reads. Each defines LLVMFuzzerTestOneInput, which
 * writes the input where the loader expects a file and loads it; a loader must answer with a
 * value or a GError, never a crash, a hang, a leak or an allocation the input's size does not
 * justify. Built with libFuzzer (clang, -Dfuzz=enabled) they fuzz; built with the default
 * compiler they are linked with fuzz-replay.c and replay their corpus as regression tests. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* This process's scratch folder (made on first use, removed at exit). */
const char *fuzz_dir (void);
/* Writes DATA[0..SIZE) to NAME in the scratch folder (subfolders made as needed); returns the
 * path, owned by the harness until the next call with the same NAME. */
const char *fuzz_write (const char *name, const uint8_t *data, size_t size);
/* Splits DATA at its first NUL byte: the part before is *A, the part after is *B. Inputs with
 * no NUL are all *A with an empty *B. For formats that are two files. */
void fuzz_split (const uint8_t *data, size_t size, const uint8_t **a, size_t *a_size,
                 const uint8_t **b, size_t *b_size);
