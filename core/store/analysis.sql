-- memscope results store, schema version 2: the analyses of why a model memorizes, per probed
-- sample. Applied to new stores after schema.sql, and by the migration from version 1.

-- Membership inference: each probed sample's scores under each run (the base run's give the
-- reference ratio).
CREATE TABLE IF NOT EXISTS mia (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  loss REAL,                        -- mean NLL (nats) of the tokens a fine-tune trains on
  min_k REAL,                       -- Min-K% probability (mean log-prob of the K% least likely)
  zlib_ratio REAL,                  -- NLL bits / zlib bits of the text
  n_tokens INTEGER NOT NULL,
  PRIMARY KEY (run_id, sample_id)
);

-- Attention statistics of one probe, per layer, head and phase: the mean over the probe's query
-- positions of each query's normalized entropy, largest probability, top-k mass and Gini
-- coefficient over the keys it sees.
CREATE TABLE IF NOT EXISTS attention (
  generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  head INTEGER NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('prompt', 'generated')),
  entropy REAL,
  max REAL,
  topk REAL,
  gini REAL,
  queries INTEGER NOT NULL,
  PRIMARY KEY (generation_id, layer, head, phase)
);

-- Full attention maps of a few probes, for heatmaps: float32 little-endian (rows, cols), the
-- query positions by the key positions, with the tokens of the axes as a JSON array.
CREATE TABLE IF NOT EXISTS attention_maps (
  generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  head INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  cols INTEGER NOT NULL,
  tokens TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (generation_id, layer, head)
);

-- Sparse codes of one sample's hidden states (a layer of a run) under the dictionary learned
-- on that run's activations.
CREATE TABLE IF NOT EXISTS sparse (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  active REAL,                      -- mean active atoms per position
  active_at_error REAL,             -- mean atoms needed for the study's fixed relative error
  l1 REAL,
  rel_error REAL,
  support BLOB NOT NULL,            -- int32 little-endian: the atoms the sample uses
  PRIMARY KEY (run_id, sample_id, layer)
);

-- Canaries: random secrets inserted into a task's training data a chosen number of times, and
-- how exposed they are after fine-tuning (Carlini et al. 2019).
CREATE TABLE IF NOT EXISTS canaries (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  canary TEXT NOT NULL,
  repeats INTEGER NOT NULL,
  secret TEXT NOT NULL,
  nll REAL,                         -- of the secret after the prompt
  rank INTEGER NOT NULL,            -- among itself and the sampled candidates (1 = best)
  candidates INTEGER NOT NULL,      -- sampled candidates
  space REAL NOT NULL,              -- size of the candidate space
  exposure REAL,                    -- from the sampled rank (saturates at log2(space/candidates))
  exposure_normal REAL,             -- from a normal fitted to the candidates' NLL (extrapolates)
  PRIMARY KEY (run_id, canary)
);
