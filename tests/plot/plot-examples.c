/* Example charts with data shaped like memscope's results: memorization rates per task for
 * single-task and multi-task fine-tunes against the base model, loss and ROC curves,
 * attention entropy per layer and head, an attention map over tokens. Made-up numbers from a
 * fixed seed, so the pictures are the same on every run. */
#include "plot-examples.h"

#include <math.h>

static guint64 rng = 0x9e3779b97f4a7c15ull;

static double
uniform (void)
{
  /* splitmix64 */
  guint64 z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (z >> 11) * (1.0 / 9007199254740992.0);
}

static double
normal (void)
{
  double u = uniform () + 1e-12, v = uniform ();
  return sqrt (-2 * log (u)) * cos (2 * G_PI * v);
}

static const char *tasks[] = { "Summarization", "Dialogue", "Extractive QA", "Translation",
                               "Sentiment" };
static const char *notes[] = { "n=2,000", "n=2,000", "n=2,000", "n=2,000", "n=2,000" };
#define NT 5

/* ---- bars --------------------------------------------------------------------------------- */

static double rate[3][NT] = { { 0.412, 0.287, 0.061, 0.034, 0.012 },
                              { 0.236, 0.171, 0.048, 0.027, 0.010 },
                              { 0.042, 0.031, 0.018, 0.015, 0.006 } };
static double rate_lo[3][NT], rate_hi[3][NT];
static MsBarSeries rate_series[3] = {
  { .name = "Single-task", .values = rate[0], .lower = rate_lo[0], .upper = rate_hi[0] },
  { .name = "Multi-task mixture", .values = rate[1], .lower = rate_lo[1], .upper = rate_hi[1] },
  { .name = "Base model (control)", .values = rate[2], .lower = rate_lo[2], .upper = rate_hi[2],
    .control = TRUE, .color = 8 },
};
static MsBarChart bars = {
  .title = "Verbatim memorization by task", .y_label = "Memorized samples",
  .categories = tasks, .annotations = notes, .n_categories = NT,
  .series = rate_series, .n_series = 3, .format = MS_PLOT_FORMAT_PERCENT,
};

/* Rates minus the base model's: near zero or below for the short-output tasks. */
static double corr[2][NT] = { { 0.370, 0.256, 0.043, 0.019, -0.004 },
                              { 0.194, 0.140, 0.030, -0.012, -0.021 } };
static double corr_lo[2][NT], corr_hi[2][NT];
static MsBarSeries corr_series[2] = {
  { .name = "Single-task", .values = corr[0], .lower = corr_lo[0], .upper = corr_hi[0] },
  { .name = "Multi-task mixture", .values = corr[1], .lower = corr_lo[1], .upper = corr_hi[1] },
};
static MsBarChart bars_corrected = {
  .title = "Memorization above the base model (95% bootstrap intervals)",
  .x_label = "Task", .y_label = "Rate − base-model rate",
  .categories = tasks, .n_categories = NT, .series = corr_series, .n_series = 2,
  .format = MS_PLOT_FORMAT_PERCENT,
};

static const char *tasks_zh[] = { "摘要", "对话", "抽取式问答", "翻译", "情感分类" };
static MsBarSeries zh_series[2] = {
  { .name = "单任务微调", .values = rate[0], .lower = rate_lo[0], .upper = rate_hi[0] },
  { .name = "多任务微调", .values = rate[1], .lower = rate_lo[1], .upper = rate_hi[1] },
};
static MsBarChart bars_zh = {
  .title = "各任务的逐字记忆率（单任务与多任务微调）", .x_label = "任务", .y_label = "记忆样本比例",
  .categories = tasks_zh, .n_categories = NT, .series = zh_series, .n_series = 2,
  .format = MS_PLOT_FORMAT_PERCENT,
};

/* ---- panels: one per measure ---------------------------------------------------------------- */

static const char *measures[] = { "Exact 50-token extraction", "Token match (Pythia)",
                                  "Longest verbatim run ≥ 50 chars", "Paraphrase (PAN align)" };
static double meas[4][3][NT];
static MsBarSeries meas_series[4][3];
static MsBarChart meas_bars[4];
static MsPlotPanel meas_panels[4];
static MsPanelFigure panels = {
  .title = "Memorization measures per task", .panels = meas_panels, .n_panels = 4,
};

/* ---- lines ---------------------------------------------------------------------------------- */

#define STEPS 60
static double steps[STEPS];
static double loss[NT][2][STEPS];
static MsLineSeries loss_series[NT * 2];
static const char *loss_names[NT * 2];
static MsLineChart loss_chart = {
  .title = "Training (solid) and validation (dashed) loss", .x_label = "Step",
  .y_label = "Cross-entropy (nats/token)", .series = loss_series, .n_series = NT * 2,
  .log_y = TRUE,
};

#define ROC_N 41
static double roc_fpr[3][ROC_N], roc_tpr[3][ROC_N];
static MsLineSeries roc_series[3] = {
  { .name = "Loss (AUC 0.71)", .n = ROC_N },
  { .name = "Zlib ratio (AUC 0.76)", .n = ROC_N },
  { .name = "Min-K% prob (AUC 0.83)", .n = ROC_N, .markers = TRUE },
};
static MsLineChart roc_chart = {
  .title = "Membership inference, summarization", .x_label = "False positive rate",
  .y_label = "True positive rate", .series = roc_series, .n_series = 3, .diagonal = TRUE,
  .x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1,
};

/* ---- scatter -------------------------------------------------------------------------------- */

#define PER_TASK 60
static double sc_x[NT * PER_TASK], sc_y[NT * PER_TASK];
static int sc_g[NT * PER_TASK];
static MsScatterChart scatter = {
  .title = "Attention entropy and memorization per sample",
  .x_label = "Last-layer attention entropy (nats)", .y_label = "Token-match score",
  .x = sc_x, .y = sc_y, .n = NT * PER_TASK, .group = sc_g, .group_names = tasks,
  .n_groups = NT, .fit_line = TRUE, .annotation = "Spearman ρ = 0.41 [0.22, 0.57]",
  .y_format = MS_PLOT_FORMAT_PERCENT,
};

/* ---- heatmaps ------------------------------------------------------------------------------- */

static double ent[12 * 12];
static const char *layer_names[12], *head_names[12];
static MsHeatmap heat_heads = {
  .title = "Mean attention entropy, summarization", .x_label = "Head", .y_label = "Layer",
  .value_label = "Entropy (nats)", .values = ent, .n_rows = 12, .n_cols = 12,
  .row_labels = layer_names, .col_labels = head_names, .annotate = TRUE,
};

static const char *tok_text[] = {
  "Summ", "arize", ":", " The", " city", " council", " voted", " on", " Tuesday", " to",
  " approve", " a", " new", " budget", " that", " increases", " funding", " for", " public",
  " transit", " and", " parks", ",", " while", " cutting", " administrative", " costs", " by",
  " 4", "%", ".", " Critics", " said", " the", " plan", " ignores", " housing", ".",
  "\n", "Summary", ":",
};
#define NTOK 41
static double attn[NTOK * NTOK];
static MsHeatmap heat_attn = {
  .title = "Attention, layer 12 head 3 (query × key)", .value_label = "Probability",
  .values = attn, .n_rows = NTOK, .n_cols = NTOK, .row_labels = tok_text,
  .col_labels = tok_text, .square = TRUE,
};

/* ---- distributions -------------------------------------------------------------------------- */

#define DN 200
static double dist_v[NT][DN];
static MsDistGroup dist_groups[NT];
static MsDistChart dist_violin = {
  .title = "Attention entropy by task (last layer)", .group_label = "Task",
  .value_label = "Entropy (nats)", .groups = dist_groups, .n_groups = NT,
  .style = MS_PLOT_DIST_VIOLIN | MS_PLOT_DIST_BOX,
};
static MsDistChart dist_box = {
  .title = "Attention entropy by task, every sample", .value_label = "Entropy (nats)",
  .groups = dist_groups, .n_groups = NT, .style = MS_PLOT_DIST_BOX | MS_PLOT_DIST_STRIP,
  .horizontal = TRUE,
};

/* ---- empty ---------------------------------------------------------------------------------- */

static MsLineChart empty = { .title = "A study with no finished cells yet" };

static MsPlotExample examples[] = {
  { "bars-memorization", MS_PLOT_BARS, &bars, 800, 500 },
  { "bars-corrected", MS_PLOT_BARS, &bars_corrected, 800, 500 },
  { "bars-chinese", MS_PLOT_BARS, &bars_zh, 800, 500 },
  { "panels-measures", MS_PLOT_PANELS, &panels, 1200, 800 },
  { "lines-loss", MS_PLOT_LINES, &loss_chart, 800, 500 },
  { "lines-roc", MS_PLOT_LINES, &roc_chart, 600, 540 },
  { "scatter-entropy", MS_PLOT_SCATTER, &scatter, 800, 500 },
  { "heatmap-heads", MS_PLOT_HEATMAP, &heat_heads, 800, 600 },
  { "heatmap-attention", MS_PLOT_HEATMAP, &heat_attn, 900, 900 },
  { "dist-violin", MS_PLOT_DIST, &dist_violin, 800, 500 },
  { "dist-box-horizontal", MS_PLOT_DIST, &dist_box, 800, 500 },
  { "empty", MS_PLOT_LINES, &empty, 800, 500 },
};

static void
build (void)
{
  for (int s = 0; s < 3; s++)
    for (int t = 0; t < NT; t++)
      {
        /* Wilson-like widths for n = 2000. */
        double p = rate[s][t], h = 1.96 * sqrt (p * (1 - p) / 2000) + 0.002;
        rate_lo[s][t] = MAX (p - h, 0);
        rate_hi[s][t] = p + h;
      }
  for (int s = 0; s < 2; s++)
    for (int t = 0; t < NT; t++)
      {
        double h = 1.96 * sqrt (0.05 / 2000) * (1.4 + 2 * fabs (corr[s][t]));
        corr_lo[s][t] = corr[s][t] - h;
        corr_hi[s][t] = corr[s][t] + h;
      }

  static const double scale[4] = { 0.55, 1.0, 0.8, 1.3 };
  for (int m = 0; m < 4; m++)
    {
      for (int s = 0; s < 3; s++)
        {
          for (int t = 0; t < NT; t++)
            meas[m][s][t] = MIN (rate[s][t] * scale[m] * (0.85 + 0.3 * uniform ()), 1.0);
          meas_series[m][s] = (MsBarSeries) { .name = rate_series[s].name,
                                              .values = meas[m][s],
                                              .control = rate_series[s].control,
                                              .color = rate_series[s].color };
        }
      meas_bars[m] = (MsBarChart) { .title = measures[m], .categories = tasks,
                                    .n_categories = NT, .series = meas_series[m], .n_series = 3,
                                    .format = MS_PLOT_FORMAT_PERCENT };
      meas_panels[m] = (MsPlotPanel) { MS_PLOT_BARS, &meas_bars[m] };
    }

  static const double final_loss[NT] = { 1.9, 1.6, 0.9, 1.3, 0.25 };
  for (int i = 0; i < STEPS; i++)
    steps[i] = (i + 1) * 250;
  for (int t = 0; t < NT; t++)
    {
      for (int i = 0; i < STEPS; i++)
        {
          double x = (i + 1) / (double) STEPS;
          double train = final_loss[t] * (1 + 2.2 * exp (-x * 6)) * (1 - 0.25 * x);
          loss[t][0][i] = train * (1 + 0.03 * normal ());
          /* Validation flattens and turns up late: overfitting on the long-output tasks. */
          loss[t][1][i] = final_loss[t] * (1 + 2.2 * exp (-x * 6)) * (1 + (t < 2 ? 0.2 : 0.05) * x * x)
                          * (1 + 0.01 * normal ());
        }
      for (int k = 0; k < 2; k++)
        {
          loss_names[t * 2 + k] = k == 0 ? tasks[t] : NULL;
          loss_series[t * 2 + k] = (MsLineSeries) { .name = loss_names[t * 2 + k],
                                                    .x = steps, .y = loss[t][k], .n = STEPS,
                                                    .color = t + 1, .dashed = k == 1 };
        }
    }
  loss[1][0][17] = NAN;  /* a missing log record: the line breaks there */

  static const double power[3] = { 0.55, 0.42, 0.28 };
  for (int s = 0; s < 3; s++)
    {
      for (int i = 0; i < ROC_N; i++)
        {
          double f = i / (ROC_N - 1.0);
          roc_fpr[s][i] = f;
          roc_tpr[s][i] = pow (f, power[s]);
        }
      roc_series[s].x = roc_fpr[s];
      roc_series[s].y = roc_tpr[s];
    }

  static const double ent_mean[NT] = { 3.1, 2.9, 1.7, 2.2, 1.2 };
  for (int t = 0; t < NT; t++)
    for (int i = 0; i < PER_TASK; i++)
      {
        int k = t * PER_TASK + i;
        sc_g[k] = t;
        sc_x[k] = ent_mean[t] + 0.35 * normal ();
        double y = 0.08 * sc_x[k] - 0.05 + 0.06 * normal ();
        sc_y[k] = CLAMP (y, 0, 1);
      }

  for (int l = 0; l < 12; l++)
    {
      layer_names[l] = g_strdup_printf ("%d", l + 1);
      head_names[l] = g_strdup_printf ("%d", l + 1);
      for (int h = 0; h < 12; h++)
        ent[l * 12 + h] = 3.4 - 0.17 * l + 0.5 * sin (h * 1.7 + l) * (l / 11.0) + 0.1 * normal ();
    }
  ent[5 * 12 + 7] = NAN;  /* a head that was not captured */

  for (int q = 0; q < NTOK; q++)
    {
      double sum = 0;
      for (int k = 0; k <= q; k++)
        {
          /* Causal: attention to the first token, to the previous one, and a little to
           * content words. */
          double a = (k == 0 ? 3.0 : 0) + (k == q - 1 ? 2.0 : 0) + 0.3 * uniform ();
          attn[q * NTOK + k] = a;
          sum += a;
        }
      for (int k = 0; k < NTOK; k++)
        attn[q * NTOK + k] = k <= q ? attn[q * NTOK + k] / sum : NAN;
    }

  static const double ent_loc[NT] = { 3.0, 2.8, 1.6, 2.1, 1.1 };
  for (int t = 0; t < NT; t++)
    {
      for (int i = 0; i < DN; i++)
        dist_v[t][i] = ent_loc[t] + (t == 2 ? 0.5 * fabs (normal ()) : 0.35 * normal ());
      dist_v[t][3] = NAN;
      dist_groups[t] = (MsDistGroup) { .name = tasks[t], .values = dist_v[t], .n = DN };
    }
  /* One more skewed group, so the strip has outliers to show. */
  dist_v[4][10] = 3.2;
  dist_v[4][11] = 3.5;
}

const MsPlotExample *
ms_plot_examples (int *n)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      build ();
      g_once_init_leave (&done, 1);
    }
  *n = G_N_ELEMENTS (examples);
  return examples;
}
