-- memscope results store, schema version 1. Every figure the app or a report shows comes from
-- here. A study is a grid of runs (a base model, single-task fine-tunes, mixtures, × seeds);
-- each run is probed on samples of each task (training samples and held-out controls); each
-- probe of a sample is a generation with its scores.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec_path TEXT,
  spec_text TEXT NOT NULL,          -- the .ini as run
  spec_sha256 TEXT NOT NULL,
  settings_json TEXT NOT NULL,      -- the parsed settings (probe k, n, min length, ...)
  created TEXT NOT NULL,            -- ISO 8601 UTC
  updated TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS tasks (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  train_path TEXT NOT NULL,
  heldout_path TEXT,
  train_sha256 TEXT NOT NULL,
  heldout_sha256 TEXT,
  template TEXT NOT NULL,
  n_train INTEGER NOT NULL,         -- records used for fine-tuning
  n_heldout INTEGER NOT NULL,
  UNIQUE (study_id, name)
);

CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  name TEXT NOT NULL,               -- "base", "single/summarization/s1", "mix/equal/s1"
  kind TEXT NOT NULL CHECK (kind IN ('base', 'single', 'mixture')),
  mixture TEXT,                     -- mixture name for kind = 'mixture'
  seed INTEGER NOT NULL DEFAULT 0,
  tasks_json TEXT NOT NULL,         -- JSON array of the task names trained on ([] for base)
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'training', 'trained', 'probing', 'done', 'failed')),
  error TEXT,
  model_path TEXT,
  model_sha256 TEXT,
  hyper_json TEXT NOT NULL DEFAULT '{}',  -- lr, epochs, B, T, mixer, loss mask, ...
  data_json TEXT NOT NULL DEFAULT '{}',   -- per task: file hashes, examples/tokens seen, skipped
  device TEXT,
  host TEXT,                        -- the machine that ran it (version 3)
  train_seconds REAL,
  probe_seconds REAL,
  train_tokens INTEGER,
  final_loss REAL,
  started TEXT,
  finished TEXT,
  UNIQUE (study_id, name)
);

-- Training curves: one row per step (task_id NULL: the whole batch) and per evaluation.
CREATE TABLE IF NOT EXISTS curves (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('train', 'eval')),
  loss REAL NOT NULL
);
-- One point per (run, kind, step, task): a training run resumed from a checkpoint writes the
-- steps after it again, and INSERT OR REPLACE keeps the last value instead of a duplicate.
CREATE UNIQUE INDEX IF NOT EXISTS curves_run ON curves (run_id, kind, step, ifnull (task_id, 0));

-- The probed samples of a study: the same samples are probed on every run.
CREATE TABLE IF NOT EXISTS samples (
  id INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  split TEXT NOT NULL CHECK (split IN ('train', 'heldout')),
  record_id TEXT NOT NULL,          -- the JSONL "id"
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  UNIQUE (task_id, split, record_id)
);

-- One probe of one sample by one run. probe 'input': the first k tokens of the input, the
-- reference is the next n tokens of the input; probe 'target': the whole prompt, the
-- reference is the output.
CREATE TABLE IF NOT EXISTS generations (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  probe TEXT NOT NULL CHECK (probe IN ('input', 'target')),
  prompt_tokens INTEGER NOT NULL,
  reference TEXT NOT NULL,
  reference_tokens BLOB NOT NULL,   -- int32 little-endian
  text TEXT NOT NULL,
  tokens BLOB NOT NULL,             -- int32 little-endian
  UNIQUE (run_id, sample_id, probe)
);

CREATE TABLE IF NOT EXISTS scores (
  generation_id INTEGER PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
  exact INTEGER NOT NULL,           -- 0/1: the first n tokens equal the reference
  token_match REAL NOT NULL,        -- fraction of positions equal
  lcs_chars INTEGER NOT NULL,       -- longest shared run of characters
  lcs_ref_start INTEGER NOT NULL,   -- in characters
  lcs_gen_start INTEGER NOT NULL,
  verbatim INTEGER NOT NULL,        -- lcs_chars >= 50
  rouge_l REAL NOT NULL,            -- F1
  bleu REAL NOT NULL,
  align_gen_cov REAL NOT NULL,      -- PAN-style alignment coverage of the generation
  align_ref_cov REAL NOT NULL,
  paraphrase INTEGER NOT NULL,
  idea INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS generations_run ON generations (run_id, probe);
-- Deleting samples (cascade) and showing one sample across runs look generations up by sample.
CREATE INDEX IF NOT EXISTS generations_sample ON generations (sample_id, probe);
CREATE INDEX IF NOT EXISTS samples_task ON samples (task_id, split);

-- One flat row per scored generation, for queries and exports.
CREATE VIEW IF NOT EXISTS results AS
SELECT st.name AS study, r.name AS run, r.kind AS run_kind, r.mixture AS mixture, r.seed AS seed,
       t.name AS task, s.split AS split, s.record_id AS record_id,
       s.input_tokens AS input_tokens, s.output_tokens AS output_tokens,
       g.probe AS probe, g.prompt_tokens AS prompt_tokens,
       sc.exact, sc.token_match, sc.lcs_chars, sc.verbatim, sc.rouge_l, sc.bleu,
       sc.align_gen_cov, sc.align_ref_cov, sc.paraphrase, sc.idea,
       g.id AS generation_id, s.id AS sample_id, r.id AS run_id, t.id AS task_id
FROM generations g
JOIN scores sc ON sc.generation_id = g.id
JOIN samples s ON s.id = g.sample_id
JOIN tasks t ON t.id = s.task_id
JOIN runs r ON r.id = g.run_id
JOIN studies st ON st.id = r.study_id;
