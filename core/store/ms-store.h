/* The results store: one SQLite file (schema.sql, embedded in the library) that holds every
 * study, run, probed sample, generation and score; the report and the app read everything from
 * here. Writes are transactional, so a killed process leaves the store as of its last commit.
 * An MsStore is not thread-safe: open one per thread (SQLite lets many processes share a file). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The schema version this library writes (meta 'schema_version'). Older stores are migrated
 * on open; newer ones are refused. */
#define MS_STORE_SCHEMA_VERSION 3

typedef struct _MsStore MsStore;

/* $MEMSCOPE_STORE when set and not empty, else "memscope.sqlite" in the current folder.
 * The study runner and `memscope results` both use it. Free with g_free. */
char *ms_store_default_path (void);
/* The current time as ISO 8601 UTC ("2024-05-01T12:00:00Z"), for started/finished. */
char *ms_store_now (void);

/* ---- Opening ------------------------------------------------------------------------------ */

typedef enum {
  MS_STORE_OPEN_CREATE = 0,          /* read-write; a missing file becomes a new store */
  MS_STORE_OPEN_EXISTING = 1 << 0,   /* read-write; a missing file is an error (G_FILE_ERROR) */
  MS_STORE_OPEN_READ_ONLY = 1 << 1,  /* read only (implies EXISTING); no migration either */
  MS_STORE_OPEN_MEMORY = 1 << 2,     /* a new, private store in memory; PATH only names it in
                                      * errors (an MPI worker's results of one run) */
} MsStoreOpenFlags;

/* Opens PATH read-write, creating it when missing: WAL journal, foreign keys on, a busy
 * timeout for other processes writing the same file. Refuses with a GError naming PATH: a file
 * that is not an SQLite database or is truncated (MS_ERROR_FORMAT), an SQLite database that is
 * not a memscope store (MS_ERROR_FORMAT), a store written by a newer memscope
 * (MS_ERROR_MISMATCH), a location where it cannot write (MS_ERROR_IO). */
MsStore *ms_store_open (const char *path, GError **error);
MsStore *ms_store_open_full (const char *path, MsStoreOpenFlags flags, GError **error);
void ms_store_close (MsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStore, ms_store_close)
const char *ms_store_path (const MsStore *store);
gboolean ms_store_is_read_only (const MsStore *store);

/* ---- Transactions -------------------------------------------------------------------------
 * The outermost begin takes the write lock at once (BEGIN IMMEDIATE), nested ones are
 * savepoints, so a function may open its own transaction inside the caller's. Every writer
 * below is atomic on its own; wrap several calls that form one unit (a run's generations, a
 * status change with its timings) in begin/commit. rollback undoes the innermost level. */
gboolean ms_store_begin (MsStore *store, GError **error);
gboolean ms_store_commit (MsStore *store, GError **error);
void ms_store_rollback (MsStore *store);
guint ms_store_transaction_depth (const MsStore *store);

/* ---- Writers (the study runner) -----------------------------------------------------------
 * Ids are > 0; a writer returns 0 (or FALSE) with a GError naming the store on failure.
 * Strings are UTF-8; JSON arguments are stored as given (NULL: "{}" or "[]"). */

typedef struct {
  const char *name;
  const char *spec_path;       /* may be NULL */
  const char *spec_text;       /* the .ini as run */
  const char *spec_sha256;     /* NULL: computed from spec_text */
  const char *settings_json;   /* NULL: "{}" */
} MsStoreStudyDef;

/* Creates the study NAME or updates its spec and settings (keeping its runs); returns its id. */
gint64 ms_store_upsert_study (MsStore *store, const MsStoreStudyDef *def, GError **error);

typedef struct {
  const char *name;
  const char *train_path;
  const char *heldout_path;    /* may be NULL */
  const char *train_sha256;
  const char *heldout_sha256;  /* may be NULL */
  const char *template;        /* the prompt template text */
  gint64 n_train, n_heldout;   /* records used for fine-tuning, held-out records */
} MsStoreTaskDef;

/* Creates task NAME of the study or updates its fields; returns its id. */
gint64 ms_store_upsert_task (MsStore *store, gint64 study_id, const MsStoreTaskDef *def,
                             GError **error);

typedef struct {
  const char *name;            /* "base", "single/summarization/s1", "mix/equal/s1" */
  const char *kind;            /* "base", "single" or "mixture" */
  const char *mixture;         /* the mixture's name for kind "mixture", else NULL */
  gint64 seed;
  const char *tasks_json;      /* JSON array of the task names trained on; NULL: "[]" */
  const char *hyper_json;      /* NULL: "{}" */
} MsStoreRunDef;

/* The run NAME of the study: created (status 'pending', *CREATED = TRUE) when missing, else
 * the existing one, which must have the same kind, mixture, seed, tasks_json and hyper_json:
 * a difference is an MS_ERROR_MISMATCH naming the field (a changed spec must not be mixed with
 * results of the old one; delete the run to redo it). CREATED may be NULL. */
gint64 ms_store_ensure_run (MsStore *store, gint64 study_id, const MsStoreRunDef *def,
                            gboolean *created, GError **error);
/* Deletes a run with its curves and generations (scores too). */
gboolean ms_store_delete_run (MsStore *store, gint64 run_id, GError **error);

/* Takes the lease on a run, so that two processes sharing a store never work on the same run.
 * TRUE with *OWNER_PID 0: this process holds it until ms_store_release_run () or the store is
 * closed (or the process ends, however it ends). TRUE with *OWNER_PID > 0: another process of
 * this machine holds it (-1: it was just released). FALSE with an error: no lease file. */
gboolean ms_store_lease_run (MsStore *store, gint64 run_id, int *owner_pid, GError **error);
void ms_store_release_run (MsStore *store, gint64 run_id);

/* Which columns ms_store_update_run writes; the others keep their values. */
/* A run's state, in the order a run goes through them; stored as its name. */
typedef enum {
  MS_RUN_PENDING,    /* not started, or interrupted before its model was saved */
  MS_RUN_TRAINING,
  MS_RUN_TRAINED,    /* model saved; not probed yet */
  MS_RUN_PROBING,
  MS_RUN_DONE,
  MS_RUN_FAILED,
} MsRunState;

/* The stored name of STATE ("pending", ...), and back: FALSE for a name that is none. */
const char *ms_run_state_name (MsRunState state);
gboolean ms_run_state_parse (const char *name, MsRunState *state);
/* TRUE when the run's model is saved, so a resumed run only probes (trained, probing). */
gboolean ms_run_state_has_model (MsRunState state);

typedef enum {
  MS_RUN_SET_STATUS = 1 << 0,         /* status and error */
  MS_RUN_SET_MODEL = 1 << 1,          /* model_path and model_sha256 */
  MS_RUN_SET_DEVICE = 1 << 2,         /* device and host */
  MS_RUN_SET_TRAIN_SECONDS = 1 << 3,
  MS_RUN_SET_PROBE_SECONDS = 1 << 4,
  MS_RUN_SET_TRAIN_TOKENS = 1 << 5,
  MS_RUN_SET_FINAL_LOSS = 1 << 6,
  MS_RUN_SET_DATA_JSON = 1 << 7,
  MS_RUN_SET_STARTED = 1 << 8,
  MS_RUN_SET_FINISHED = 1 << 9,
} MsRunFields;

typedef struct {
  MsRunFields set;
  MsRunState status;
  const char *error;           /* NULL clears it */
  const char *model_path, *model_sha256;
  const char *device, *host;
  double train_seconds, probe_seconds;
  gint64 train_tokens;
  double final_loss;           /* NaN or infinite: stored as NULL */
  const char *data_json;       /* NULL: "{}" */
  const char *started, *finished;  /* ISO 8601 (ms_store_now ()); NULL clears */
} MsStoreRunUpdate;

/* Writes the fields named by U->set in one statement (and touches the study's 'updated'). */
gboolean ms_store_update_run (MsStore *store, gint64 run_id, const MsStoreRunUpdate *u,
                              GError **error);
/* Shorthand for a status change; MESSAGE is the error column (NULL clears). */
gboolean ms_store_set_run_status (MsStore *store, gint64 run_id, MsRunState status,
                                  const char *message, GError **error);

typedef struct {
  gint64 step;
  gint64 task_id;              /* 0: the whole batch */
  const char *kind;            /* "train" or "eval" (readers return interned strings) */
  double loss;
} MsStoreCurvePoint;

/* Adds N points to the run's curves in one transaction; a point with the same run, kind,
 * step and task as a stored one replaces it (a resumed run writes its last steps again). */
gboolean ms_store_add_curve (MsStore *store, gint64 run_id, const MsStoreCurvePoint *points,
                             gsize n, GError **error);

typedef struct {
  gint64 task_id;
  const char *split;           /* "train" or "heldout" */
  const char *record_id;       /* the JSONL "id" */
  const char *input, *output;
  gint64 input_tokens, output_tokens;
} MsStoreSampleDef;

/* Stores N samples in one transaction and writes their ids to IDS (N entries). A sample that
 * is already stored (same task, split and record id) keeps its id; its texts and token counts
 * must be the same, else MS_ERROR_MISMATCH (the data changed under the study). */
gboolean ms_store_upsert_samples (MsStore *store, const MsStoreSampleDef *samples, gsize n,
                                  gint64 *ids, GError **error);

/* The scores table's columns (see ms-scores.h for their meaning). */
typedef struct {
  gboolean exact;
  double token_match;
  gint64 lcs_chars;
  gint64 lcs_ref_start, lcs_gen_start;   /* characters (code points) from the start */
  gboolean verbatim;
  double rouge_l, bleu;
  double align_gen_cov, align_ref_cov;
  gboolean paraphrase, idea;
} MsStoreScores;

typedef struct {
  gint64 run_id, sample_id;
  const char *probe;                     /* "input" or "target" */
  gint64 prompt_tokens;
  const char *reference;
  const gint32 *reference_tokens;        /* (n_reference_tokens) */
  gsize n_reference_tokens;
  const char *text;                      /* the generation, decoded */
  const gint32 *tokens;                  /* (n_tokens) generated tokens */
  gsize n_tokens;
  MsStoreScores scores;                  /* every score must be finite */
} MsStoreGenerationDef;

/* Inserts one generation with its scores (atomically); returns the generation's id. A run has
 * at most one generation per (sample, probe): a second is an MS_ERROR_MISMATCH. */
gint64 ms_store_add_generation (MsStore *store, const MsStoreGenerationDef *def,
                                GError **error);
/* Deletes the run's generations (and scores) of PROBE, or of every probe when PROBE is NULL;
 * returns the number deleted, or -1 on error. */
gint64 ms_store_delete_generations (MsStore *store, gint64 run_id, const char *probe,
                                    GError **error);
/* The sample ids the run already has a generation of for PROBE: a set (g_int64_hash) whose
 * keys point to gint64, so that g_hash_table_contains (set, &sample_id) works. */
GHashTable *ms_store_probed_samples (MsStore *store, gint64 run_id, const char *probe,
                                     GError **error);

/* ---- Analyses (schema version 2) ---------------------------------------------------------
 * Each call stores its rows in one transaction; a row with the key of a stored one replaces
 * it. Non-finite numbers are stored as NULL. */

typedef struct {
  gint64 run_id, sample_id;
  double loss, min_k, zlib_ratio;
  gint64 n_tokens;
} MsStoreMia;

gboolean ms_store_add_mia (MsStore *store, const MsStoreMia *rows, gsize n, GError **error);

typedef struct {
  gint64 generation_id;
  int layer, head;
  const char *phase;                     /* "prompt" or "generated" */
  double entropy, max, topk, gini;
  gint64 queries;
} MsStoreAttention;

gboolean ms_store_add_attention (MsStore *store, const MsStoreAttention *rows, gsize n,
                                 GError **error);

typedef struct {
  gint64 generation_id;
  int layer, head, rows, cols;
  const char *tokens_json;               /* the tokens along the axes */
  const float *data;                     /* (rows, cols) */
} MsStoreAttentionMap;

gboolean ms_store_add_attention_maps (MsStore *store, const MsStoreAttentionMap *rows, gsize n,
                                      GError **error);

typedef struct {
  gint64 run_id, sample_id;
  int layer;
  double active, active_at_error, l1, rel_error;
  const gint32 *support;                 /* (n_support) atoms used */
  gsize n_support;
} MsStoreSparse;

gboolean ms_store_add_sparse (MsStore *store, const MsStoreSparse *rows, gsize n, GError **error);

typedef struct {
  gint64 run_id, task_id;
  const char *canary, *secret;
  int repeats;
  double nll;
  gint64 rank, candidates;
  double space, exposure, exposure_normal;
} MsStoreCanary;

gboolean ms_store_add_canaries (MsStore *store, const MsStoreCanary *rows, gsize n,
                                GError **error);

/* Rows of a run in TABLE ("mia", "sparse" or "canaries"), or -1 on error. */
gint64 ms_store_count (MsStore *store, const char *table, gint64 run_id, GError **error);

/* ---- Readers (report, app, `memscope results`) ------------------------------------------- */

typedef struct {
  gint64 id;
  char *name, *spec_path, *spec_text, *spec_sha256, *settings_json;
  char *created, *updated;
  gint64 n_runs, n_done, n_failed, n_tasks, n_generations;
} MsStoreStudy;

void ms_store_study_free (MsStoreStudy *study);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreStudy, ms_store_study_free)
/* Every study, by name; MsStoreStudy* elements, freed with the array. */
GPtrArray *ms_store_list_studies (MsStore *store, GError **error);
/* The study NAME; an unknown name is an MS_ERROR_INVALID that lists the studies there are. */
MsStoreStudy *ms_store_get_study (MsStore *store, const char *name, GError **error);

typedef struct {
  gint64 id, study_id;
  char *name, *train_path, *heldout_path, *train_sha256, *heldout_sha256, *template;
  gint64 n_train, n_heldout;
  gint64 n_samples_train, n_samples_heldout;  /* probed samples stored */
} MsStoreTask;

void ms_store_task_free (MsStoreTask *task);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreTask, ms_store_task_free)
/* The study's tasks in the order they were added. */
GPtrArray *ms_store_list_tasks (MsStore *store, gint64 study_id, GError **error);

typedef struct {
  gint64 id, study_id;
  char *name, *kind, *mixture;           /* mixture: NULL unless kind is "mixture" */
  gint64 seed;
  char *tasks_json, *error;              /* error: NULL unless set */
  MsRunState status;
  char *model_path, *model_sha256, *hyper_json, *data_json, *device, *host;
  double train_seconds, probe_seconds;   /* NaN when not set */
  gint64 train_tokens;                   /* -1 when not set */
  double final_loss;                     /* NaN when not set */
  char *started, *finished;              /* NULL when not set */
  gint64 n_generations;
} MsStoreRun;

void ms_store_run_free (MsStoreRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreRun, ms_store_run_free)
/* The study's runs in the order they were created. */
GPtrArray *ms_store_list_runs (MsStore *store, gint64 study_id, GError **error);
/* One run by id; an unknown id is an MS_ERROR_INVALID. */
MsStoreRun *ms_store_get_run (MsStore *store, gint64 run_id, GError **error);
/* One run by name, or NULL without an error when the study has none of that name. */
MsStoreRun *ms_store_find_run (MsStore *store, gint64 study_id, const char *name,
                               GError **error);

/* The run's curve (KIND "train", "eval" or NULL for both), by kind, step, task. */
GArray *ms_store_get_curve (MsStore *store, gint64 run_id, const char *kind, GError **error);

/* Which rows of the `results` view to read or export: NULL / 0 members match everything. */
typedef struct {
  const char *study, *run, *task, *split, *probe;   /* names */
  gint64 run_id, sample_id;
} MsStoreFilter;

/* One row of the `results` view. Strings belong to the MsStoreResults. */
typedef struct {
  const char *study, *run, *run_kind, *mixture;     /* mixture may be NULL */
  gint64 seed;
  const char *task, *split, *record_id;
  gint64 input_tokens, output_tokens;
  const char *probe;
  gint64 prompt_tokens;
  MsStoreScores scores;                  /* lcs_ref_start and lcs_gen_start are not read */
  gint64 generation_id, sample_id, run_id, task_id;
} MsStoreResult;

typedef struct {
  MsStoreResult *rows;                   /* (n) in run, task, split, probe, sample order */
  gsize n;
  /*< private >*/
  GStringChunk *strings;
} MsStoreResults;

MsStoreResults *ms_store_results (MsStore *store, const MsStoreFilter *filter, GError **error);
void ms_store_results_free (MsStoreResults *results);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreResults, ms_store_results_free)

/* Counts and means of one (run, task, split, probe) group of the results view. */
typedef struct {
  gint64 run_id, task_id;
  char *study, *run, *task, *split, *probe;
  gint64 n;
  gint64 n_exact, n_verbatim, n_paraphrase, n_idea;
  double mean_token_match, mean_rouge_l, mean_bleu, mean_lcs_chars;
  double mean_align_gen_cov, mean_align_ref_cov;
} MsStoreAggregate;

void ms_store_aggregate_free (MsStoreAggregate *agg);
/* The groups matching FILTER, in run, task, split ('train' first), probe order. */
GPtrArray *ms_store_aggregate (MsStore *store, const MsStoreFilter *filter, GError **error);

/* One generation with its sample, for the app's sample view. */
typedef struct {
  gint64 id, run_id, sample_id, task_id;
  char *run, *task, *split, *record_id;
  char *input, *output;                  /* the sample */
  gint64 input_tokens, output_tokens;
  char *probe;
  gint64 prompt_tokens;
  char *reference;
  gint32 *reference_tokens;              /* (n_reference_tokens) */
  gsize n_reference_tokens;
  char *text;
  gint32 *tokens;                        /* (n_tokens) */
  gsize n_tokens;
  MsStoreScores scores;
} MsStoreGeneration;

void ms_store_generation_free (MsStoreGeneration *gen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreGeneration, ms_store_generation_free)
/* An unknown id is an MS_ERROR_INVALID; a token blob whose size is not a multiple of 4 is an
 * MS_ERROR_FORMAT. */
MsStoreGeneration *ms_store_get_generation (MsStore *store, gint64 generation_id,
                                            GError **error);

/* ---- Study readers (the analyses, the report, the app) -----------------------------------
 * Typed reads of one study's analysis rows (ms-store-study-read.c), so that no SQL lives
 * outside the store. "Finished" runs are those whose status is MS_RUN_DONE; PROBE is "input"
 * or "target" (anything else is an MS_ERROR_INVALID). Each returns NULL (or FALSE) with a
 * GError naming the store on failure; arrays are in the order stated, freed with the array. */

/* One attention statistic of a generation's prompt, with the generation's token match. */
typedef struct {
  gint64 generation_id, task_id;
  int layer, head;
  double entropy;                        /* NaN when not defined */
  double token_match;
} MsStoreAttentionRow;

/* The prompt attention of the finished single-task runs' training samples for PROBE, every
 * layer and head: MsStoreAttentionRow by generation, layer, head. */
GArray *ms_store_study_attention (MsStore *store, gint64 study_id, const char *probe,
                                  GError **error);

/* One generation's last-layer prompt statistics (means over heads; NaN when none is defined)
 * with its scores. */
typedef struct {
  gint64 generation_id, task_id;
  double entropy, max, topk, gini;
  double token_match, lcs_chars, rouge_l, exact;   /* exact: 0 or 1 */
} MsStoreAttentionMean;

/* As ms_store_study_attention, one MsStoreAttentionMean per generation (by id) at the deepest
 * layer any run of the study recorded. */
GArray *ms_store_study_attention_means (MsStore *store, gint64 study_id, const char *probe,
                                        GError **error);

/* A stored attention map with what its figure names. */
typedef struct {
  gint64 generation_id;
  int layer, head, rows, cols;
  char *tokens_json;                     /* the tokens along the axes, a JSON array */
  char *record_id, *run;                 /* the sample's record id, the run's name */
  float *data;                           /* (rows, cols) */
} MsStoreAttentionMapData;

void ms_store_attention_map_data_free (MsStoreAttentionMapData *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreAttentionMapData, ms_store_attention_map_data_free)
/* The generation's map of the lowest head (-1: the mean over heads), or NULL without an error
 * when it has none. A shape that is not positive or a blob that is not rows × cols float32
 * is an MS_ERROR_FORMAT. */
MsStoreAttentionMapData *ms_store_get_attention_map (MsStore *store, gint64 generation_id,
                                                     GError **error);

/* One generation of the study that has a map, for a chooser. */
typedef struct {
  gint64 generation_id;
  char *run, *run_kind, *record_id, *probe;
} MsStoreMapEntry;

void ms_store_map_entry_free (MsStoreMapEntry *entry);
/* Every generation of the study with a map (any run status): MsStoreMapEntry* by run, task,
 * sample, probe. */
GPtrArray *ms_store_study_attention_maps (MsStore *store, gint64 study_id, GError **error);
/* The single-task generation (any run status) with a map whose token match is highest, the
 * lowest id among equals; *GENERATION_ID 0 when the study has none. */
gboolean ms_store_study_best_map (MsStore *store, gint64 study_id, gint64 *generation_id,
                                  GError **error);
/* The run's generation of the sample for PROBE and its number of maps; *GENERATION_ID 0 (and
 * *N_MAPS 0) when the run has not probed it. */
gboolean ms_store_find_generation (MsStore *store, gint64 run_id, gint64 sample_id,
                                   const char *probe, gint64 *generation_id, gint64 *n_maps,
                                   GError **error);

/* The run whose sparse codes the analysis reads: among the study's finished runs with codes, a
 * mixture, else the base model, else the first; with the deepest layer it coded. *RUN_ID 0
 * (and *RUN_NAME NULL) when there is none; free *RUN_NAME with g_free. */
gboolean ms_store_study_sparse_run (MsStore *store, gint64 study_id, gint64 *run_id, int *layer,
                                    char **run_name, GError **error);

/* One training sample's code density with its memorization. */
typedef struct {
  gint64 sample_id, task_id;
  double active_at_error;
  double token_match;                    /* mean over the finished single-task runs' PROBE */
} MsStoreSparseRow;

/* The codes of RUN_ID at LAYER of the training samples that a finished single-task run probed
 * with PROBE (and whose density at the fixed error is defined): MsStoreSparseRow by sample. */
GArray *ms_store_sparse_memorization (MsStore *store, gint64 run_id, int layer,
                                      const char *probe, GError **error);

/* One membership-inference row of a finished run. */
typedef struct {
  gint64 run_id, task_id, sample_id;
  gboolean member;                       /* a training sample (else held out) */
  gboolean base;                         /* of the base run */
  double loss, min_k, zlib_ratio;        /* NaN when not defined */
} MsStoreMiaRow;

/* The study's MsStoreMiaRow, by run, task, sample. */
GArray *ms_store_study_mia (MsStore *store, gint64 study_id, GError **error);

/* The canaries of one (finished run, repeat count). */
typedef struct {
  gint64 run_id;
  int repeats;
  gint64 n;                              /* canaries in the group */
  double mean_exposure, min_exposure, max_exposure;   /* NaN when none is defined */
  double mean_exposure_normal;
  double max_space;
  gint64 max_candidates;
  char *task;                            /* the task of one of them; NULL when missing */
} MsStoreCanaryGroup;

void ms_store_canary_group_free (MsStoreCanaryGroup *group);
/* The study's MsStoreCanaryGroup*, by run, repeats. */
GPtrArray *ms_store_study_canaries (MsStore *store, gint64 study_id, GError **error);

/* *HAS: whether TABLE ("attention", "sparse" or "mia") holds a row of the study's runs. A
 * store without the table (one that could not be migrated) fails with an error. */
gboolean ms_store_study_has_rows (MsStore *store, gint64 study_id, const char *table,
                                  gboolean *has, GError **error);
/* The study's generations whose sample input, reference or generated text contains TEXT,
 * ignoring ASCII case (SQLite's lower ()); TEXT is matched literally, and an empty one matches
 * every generation. A set as ms_store_probed_samples gives, of generation ids. */
GHashTable *ms_store_study_search (MsStore *store, gint64 study_id, const char *text,
                                   GError **error);

/* ---- Export and queries ------------------------------------------------------------------ */

typedef enum {
  MS_EXPORT_CSV,         /* RFC 4180: header row, CRLF, quotes where needed; UTF-8 */
  MS_EXPORT_JSON,        /* an array of objects, one per row */
  MS_EXPORT_JSON_LINES,  /* one object per line */
} MsExportFormat;

typedef enum {
  MS_EXPORT_DEFAULT = 0,
  MS_EXPORT_TEXTS = 1 << 0,  /* add input, output, reference and generated text columns */
} MsExportFlags;

/* Writes the rows of the results view that match FILTER to PATH, atomically (all or nothing);
 * PATH "-" is standard output. Numbers keep their SQL type (integers, shortest round-trip
 * doubles); NULL is an empty CSV field or JSON null; invalid UTF-8 becomes U+FFFD.
 * N_ROWS (may be NULL) receives the number of rows written. */
gboolean ms_store_export (MsStore *store, const MsStoreFilter *filter, MsExportFormat format,
                          MsExportFlags flags, const char *path, gsize *n_rows,
                          GError **error);

/* A table of text cells from an arbitrary query. */
typedef struct {
  guint n_columns, n_rows;
  char **columns;                        /* (n_columns) names */
  char **cells;                          /* (n_rows, n_columns) row-major; NULL: SQL NULL */
  gboolean *numeric;                     /* (n_columns) every non-NULL cell is a number */
} MsStoreTable;

void ms_store_table_free (MsStoreTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoreTable, ms_store_table_free)
/* Runs one read-only SQL statement (SELECT, WITH, EXPLAIN, read-only PRAGMA) and returns its
 * rows; a statement that could write, or more than one statement, is an MS_ERROR_INVALID. */
MsStoreTable *ms_store_query (MsStore *store, const char *sql, GError **error);
/* The same, written as ms_store_export writes (PATH "-": standard output). */
gboolean ms_store_query_export (MsStore *store, const char *sql, MsExportFormat format,
                                const char *path, gsize *n_rows, GError **error);

/* ---- A run's results as one message (ms-store-bundle.c) ----------------------------------- */

/* The whole store as bytes (an SQLite database image): what a worker of an MPI study sends,
 * from the private store in memory (MS_STORE_OPEN_MEMORY) it ran one run into. */
GBytes *ms_store_serialize (MsStore *store, GError **error);
/* Copies run RUN_NAME of BUNDLE (from ms_store_serialize) into run RUN_ID of STORE in one
 * transaction, replacing what the store held of that run; tasks, samples and generations are
 * matched by name, so ids may differ. WITH_TRAINING FALSE keeps the store's training record and
 * curves (the worker found the model trained). Refuses a bundle of another schema version, or
 * one whose samples the store does not hold, naming SENDER ("rank 2 on node7"). Needs no
 * transaction open. */
gboolean ms_store_import_run (MsStore *store, gint64 run_id, const char *run_name,
                              GBytes *bundle, gboolean with_training, const char *sender,
                              GError **error);

G_END_DECLS
