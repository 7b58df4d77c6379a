/* The samples view: every probed sample of the study in a sortable, filterable table (by run,
 * task, split, probe, memorized only, and a search over names and texts), with a detail pane
 * that shows the texts and the run they share. */
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "memscope-export.h"
#include "memscope-sample.h"
#include "memscope-sample-detail.h"

struct _MemscopeSamples {
  GtkWidget parent;
  GtkWidget *stack, *search, *run, *task, *split, *probe, *memorized, *count;
  GtkWidget *view, *detail;
  GListStore *store;
  GtkFilterListModel *filtered;
  GtkSortListModel *sorted;
  GtkSingleSelection *selection;
  GtkFilter *filter;
  GPtrArray *run_names, *task_names;  /* the drop-downs' entries after "All …" */
  GHashTable *text_hits;              /* generation ids whose texts hold the search; NULL: none */
  const MemscopeData *data;
};

G_DEFINE_FINAL_TYPE (MemscopeSamples, memscope_samples, GTK_TYPE_WIDGET)

static const char *
selected_name (GtkWidget *dd, GPtrArray *names)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (dd));
  if (i == 0 || i == GTK_INVALID_LIST_POSITION || names == NULL || i > names->len)
    return NULL;
  return g_ptr_array_index (names, i - 1);
}

static gboolean
contains_casefold (const char *haystack, const char *needle)
{
  if (haystack == NULL)
    return FALSE;
  g_autofree char *h = g_utf8_casefold (haystack, -1);
  return strstr (h, needle) != NULL;
}

static gboolean
filter_func (gpointer item, gpointer user)
{
  MemscopeSamples *self = user;
  MemscopeSample *s = item;
  const char *run = selected_name (self->run, self->run_names);
  const char *task = selected_name (self->task, self->task_names);
  guint split = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->split));
  guint probe = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->probe));
  if (run != NULL && g_strcmp0 (s->run, run) != 0)
    return FALSE;
  if (task != NULL && g_strcmp0 (s->task, task) != 0)
    return FALSE;
  if (split == 1 && g_strcmp0 (s->split, "train") != 0)
    return FALSE;
  if (split == 2 && g_strcmp0 (s->split, "heldout") != 0)
    return FALSE;
  if (probe == 1 && g_strcmp0 (s->probe, "input") != 0)
    return FALSE;
  if (probe == 2 && g_strcmp0 (s->probe, "target") != 0)
    return FALSE;
  if (gtk_check_button_get_active (GTK_CHECK_BUTTON (self->memorized))
      && !memscope_sample_is_memorized (s))
    return FALSE;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search));
  if (text != NULL && *text != '\0')
    {
      g_autofree char *needle = g_utf8_casefold (text, -1);
      if (!contains_casefold (s->record, needle) && !contains_casefold (s->run, needle)
          && !contains_casefold (s->task, needle)
          && (self->text_hits == NULL
              || !g_hash_table_contains (self->text_hits, &s->generation_id)))
        return FALSE;
    }
  return TRUE;
}

static void
update_count (MemscopeSamples *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint all = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autofree char *text = g_strdup_printf (
      g_dngettext (NULL, "%u of %u sample", "%u of %u samples", all), shown, all);
  gtk_label_set_text (GTK_LABEL (self->count), text);
}

static void
refilter (MemscopeSamples *self)
{
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  update_count (self);
}

static void
on_filter_changed (GObject *obj, GParamSpec *pspec, gpointer user)
{
  refilter (MEMSCOPE_SAMPLES (user));
}

static void
on_toggled (GtkCheckButton *button, gpointer user)
{
  refilter (MEMSCOPE_SAMPLES (user));
}

/* The generations of the study whose prompt, reference or generated text holds the search
 * text (SQLite's lower() folds ASCII only; names and ids are matched in memory above). */
static void
search_texts (MemscopeSamples *self)
{
  g_clear_pointer (&self->text_hits, g_hash_table_unref);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search));
  const MemscopeData *d = self->data;
  if (text == NULL || *text == '\0' || d == NULL || d->store == NULL || d->study == NULL)
    return;
  /* The store binds the text: whatever is typed never becomes SQL. On error no text hits. */
  self->text_hits = ms_store_study_search (d->store, d->study->id, text, NULL);
}

static void
on_search_changed (GtkSearchEntry *entry, gpointer user)
{
  MemscopeSamples *self = user;
  search_texts (self);
  refilter (self);
}

static void
on_selection (GObject *sel, GParamSpec *pspec, gpointer user)
{
  MemscopeSamples *self = user;
  MemscopeSample *s = gtk_single_selection_get_selected_item (self->selection);
  memscope_sample_detail_show (self->detail, self->data != NULL ? self->data->store : NULL,
                               s != NULL ? s->generation_id : 0);
}

/* ---- Columns ------------------------------------------------------------------------------ */

typedef enum { COL_TEXT, COL_PERCENT, COL_FIXED2, COL_INT } ColKind;

typedef struct {
  const char *title;         /* N_() */
  const char *property;
  ColKind kind;
  int width;                 /* fixed width in px, or -1 */
} Column;

static const Column columns[] = {
  { N_("Run"), "run", COL_TEXT, 170 },
  { N_("Task"), "task", COL_TEXT, 110 },
  { N_("Split"), "split", COL_TEXT, 80 },
  { N_("Probe"), "probe", COL_TEXT, 64 },
  { N_("Token match"), "token-match", COL_PERCENT, 96 },
  { N_("Shared run"), "lcs-chars", COL_INT, 90 },
  { N_("ROUGE-L"), "rouge-l", COL_FIXED2, 76 },
  { N_("BLEU"), "bleu", COL_FIXED2, 64 },
  { N_("Memorized"), "category", COL_TEXT, 96 },
  { N_("Record"), "record", COL_TEXT, 200 },
};

static void
cell_setup (GtkSignalListItemFactory *f, GtkListItem *item, gpointer user)
{
  const Column *col = user;
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), col->kind == COL_TEXT ? 0 : 1);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (col->kind != COL_TEXT)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *f, GtkListItem *item, gpointer user)
{
  const Column *col = user;
  GObject *obj = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  char buf[64];
  switch (col->kind)
    {
    case COL_TEXT:
      {
        g_autofree char *s = NULL;
        g_object_get (obj, col->property, &s, NULL);
        gtk_label_set_text (GTK_LABEL (label), s != NULL ? s : "");
        return;
      }
    case COL_PERCENT:
    case COL_FIXED2:
      {
        double v = 0;
        g_object_get (obj, col->property, &v, NULL);
        if (col->kind == COL_PERCENT)
          g_snprintf (buf, sizeof buf, "%.0f%%", 100 * v);
        else
          g_snprintf (buf, sizeof buf, "%.2f", v);
        break;
      }
    case COL_INT:
      {
        gint64 v = 0;
        g_object_get (obj, col->property, &v, NULL);
        g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
        break;
      }
    }
  gtk_label_set_text (GTK_LABEL (label), buf);
}

static void
add_columns (MemscopeSamples *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      const Column *col = &columns[i];
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), (gpointer) col);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), (gpointer) col);
      GtkColumnViewColumn *c = gtk_column_view_column_new (_(col->title), factory);
      GtkExpression *expr = gtk_property_expression_new (MEMSCOPE_TYPE_SAMPLE, NULL,
                                                         col->property);
      GtkSorter *sorter = col->kind == COL_TEXT
                          ? GTK_SORTER (gtk_string_sorter_new (expr))
                          : GTK_SORTER (gtk_numeric_sorter_new (expr));
      gtk_column_view_column_set_sorter (c, sorter);
      g_object_unref (sorter);
      gtk_column_view_column_set_resizable (c, TRUE);
      gtk_column_view_column_set_fixed_width (c, col->width);
      gtk_column_view_append_column (GTK_COLUMN_VIEW (self->view), c);
      /* The strongest memorization first: what a reader of the samples looks for. */
      if (g_strcmp0 (col->property, "token-match") == 0)
        gtk_column_view_sort_by_column (GTK_COLUMN_VIEW (self->view), c, GTK_SORT_DESCENDING);
      g_object_unref (c);
    }
}

static void
write_csv (GtkWidget *view, GString *out)
{
  MemscopeSamples *self = MEMSCOPE_SAMPLES (view);
  static const char *const head[] = { "run", "task", "split", "probe", "record_id", "exact",
                                      "token_match", "lcs_chars", "verbatim", "rouge_l", "bleu",
                                      "align_gen_cov", "align_ref_cov", "paraphrase", "idea",
                                      "generation_id" };
  for (guint i = 0; i < G_N_ELEMENTS (head); i++)
    ms_csv_field (out, head[i], i + 1 < G_N_ELEMENTS (head) ? "," : "\r\n");
  GListModel *m = G_LIST_MODEL (self->sorted);
  for (guint i = 0; i < g_list_model_get_n_items (m); i++)
    {
      g_autoptr (MemscopeSample) s = g_list_model_get_item (m, i);
      const MsStoreScores *sc = &s->scores;
      ms_csv_field (out, s->run, ",");
      ms_csv_field (out, s->task, ",");
      ms_csv_field (out, s->split, ",");
      ms_csv_field (out, s->probe, ",");
      ms_csv_field (out, s->record, ",");
      ms_csv_number (out, sc->exact, ",");
      ms_csv_number (out, sc->token_match, ",");
      ms_csv_number (out, (double) sc->lcs_chars, ",");
      ms_csv_number (out, sc->verbatim, ",");
      ms_csv_number (out, sc->rouge_l, ",");
      ms_csv_number (out, sc->bleu, ",");
      ms_csv_number (out, sc->align_gen_cov, ",");
      ms_csv_number (out, sc->align_ref_cov, ",");
      ms_csv_number (out, sc->paraphrase, ",");
      ms_csv_number (out, sc->idea, ",");
      ms_csv_number (out, (double) s->generation_id, "\r\n");
    }
}

/* ---- Life cycle ---------------------------------------------------------------------------- */

static void
memscope_samples_dispose (GObject *object)
{
  MemscopeSamples *self = MEMSCOPE_SAMPLES (object);
  memscope_widget_unparent_children (GTK_WIDGET (self));
  g_clear_object (&self->store);
  g_clear_pointer (&self->run_names, g_ptr_array_unref);
  g_clear_pointer (&self->task_names, g_ptr_array_unref);
  g_clear_pointer (&self->text_hits, g_hash_table_unref);
  G_OBJECT_CLASS (memscope_samples_parent_class)->dispose (object);
}

static void
memscope_samples_class_init (MemscopeSamplesClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = memscope_samples_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

/* The table gets a bit more than half of the width once the pane has one. */
static gboolean
place_divider (GtkWidget *paned, GdkFrameClock *clock, gpointer user)
{
  int w = gtk_widget_get_width (paned);
  if (w <= 0)
    return G_SOURCE_CONTINUE;
  gtk_paned_set_position (GTK_PANED (paned), MAX (360, w * 56 / 100));
  return G_SOURCE_REMOVE;
}

static void
memscope_samples_init (MemscopeSamples *self)
{
  self->stack = gtk_stack_new ();
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));
  gtk_stack_add_named (GTK_STACK (self->stack),
                       memscope_status_page_new ("view-list-bullet-symbolic",
                                                 _("No Samples"),
                                                 _("This study has no probed samples yet.")),
                       "empty");

  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_add_css_class (page, "view-page");
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  self->search = gtk_search_entry_new ();
  g_object_set (self->search, "placeholder-text", _("Search records and texts"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Search records and texts"), -1);
  gtk_widget_set_size_request (self->search, 160, -1);
  const char *all_runs[] = { _("All runs") }, *all_tasks[] = { _("All tasks") };
  self->run = memscope_drop_down_new (all_runs, 1, _("Run"));
  self->task = memscope_drop_down_new (all_tasks, 1, _("Task"));
  const char *splits[] = { _("All splits"), _("Training"), _("Held-out") };
  self->split = memscope_drop_down_new (splits, 3, _("Split"));
  const char *probes[] = { _("All probes"), _("Input probe"), _("Target probe") };
  self->probe = memscope_drop_down_new (probes, 3, _("Probe"));
  self->memorized = gtk_check_button_new_with_mnemonic (_("_Memorized only"));
  gtk_widget_set_hexpand (self->search, TRUE);
  gtk_box_append (GTK_BOX (bar), self->search);
  gtk_box_append (GTK_BOX (bar), self->run);
  gtk_box_append (GTK_BOX (bar), self->task);
  gtk_box_append (GTK_BOX (bar), self->split);
  gtk_box_append (GTK_BOX (bar), self->probe);
  gtk_box_append (GTK_BOX (bar), self->memorized);
  gtk_box_append (GTK_BOX (page), bar);

  self->store = g_list_store_new (MEMSCOPE_TYPE_SAMPLE);
  self->filter = GTK_FILTER (gtk_custom_filter_new (filter_func, self, NULL));
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                              self->filter);
  self->view = gtk_column_view_new (NULL);
  gtk_widget_add_css_class (self->view, "data-table");
  gtk_column_view_set_show_column_separators (GTK_COLUMN_VIEW (self->view), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Probed samples"), -1);
  add_columns (self);
  GtkSorter *sorter = gtk_column_view_get_sorter (GTK_COLUMN_VIEW (self->view));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->filtered), g_object_ref (sorter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->sorted));
  gtk_column_view_set_model (GTK_COLUMN_VIEW (self->view), GTK_SELECTION_MODEL (self->selection));
  g_object_unref (self->selection);  /* the view keeps it */

  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), self->view);
  gtk_widget_set_vexpand (scroll, TRUE);
  GtkWidget *table_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), scroll);
  gtk_box_append (GTK_BOX (table_box), frame);
  self->count = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->count), 0);
  gtk_widget_add_css_class (self->count, "dim-label");
  gtk_widget_add_css_class (self->count, "caption");
  gtk_box_append (GTK_BOX (table_box), self->count);

  self->detail = memscope_sample_detail_new ();
  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_paned_set_start_child (GTK_PANED (paned), table_box);
  gtk_paned_set_end_child (GTK_PANED (paned), self->detail);
  gtk_paned_set_resize_start_child (GTK_PANED (paned), TRUE);
  gtk_paned_set_resize_end_child (GTK_PANED (paned), TRUE);
  gtk_widget_add_tick_callback (paned, place_divider, NULL, NULL);
  gtk_paned_set_shrink_start_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  gtk_widget_set_size_request (table_box, 360, -1);
  gtk_widget_set_size_request (self->detail, 400, -1);
  gtk_widget_set_vexpand (paned, TRUE);
  gtk_box_append (GTK_BOX (page), paned);
  gtk_stack_add_named (GTK_STACK (self->stack), page, "content");

  g_signal_connect (self->search, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->run, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->task, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->split, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->probe, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->memorized, "toggled", G_CALLBACK (on_toggled), self);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (on_selection), self);
  memscope_view_set_csv (GTK_WIDGET (self), write_csv, "samples");
}

GtkWidget *
memscope_samples_new (void)
{
  return g_object_new (MEMSCOPE_TYPE_SAMPLES, NULL);
}

static void
set_choices (GtkWidget *dd, const char *all, GPtrArray *names)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);
  gtk_string_list_append (list, all);
  for (guint i = 0; i < names->len; i++)
    gtk_string_list_append (list, g_ptr_array_index (names, i));
  gtk_drop_down_set_model (GTK_DROP_DOWN (dd), G_LIST_MODEL (list));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dd), 0);
}

void
memscope_samples_set_data (MemscopeSamples *self, const MemscopeData *d)
{
  self->data = d;
  g_list_store_remove_all (self->store);
  g_clear_pointer (&self->text_hits, g_hash_table_unref);
  g_clear_pointer (&self->run_names, g_ptr_array_unref);
  g_clear_pointer (&self->task_names, g_ptr_array_unref);
  self->run_names = g_ptr_array_new_with_free_func (g_free);
  self->task_names = g_ptr_array_new_with_free_func (g_free);
  if (d != NULL && d->runs != NULL)
    for (guint i = 0; i < d->runs->len; i++)
      g_ptr_array_add (self->run_names,
                       g_strdup (((MsStoreRun *) g_ptr_array_index (d->runs, i))->name));
  if (d != NULL && d->tasks != NULL)
    for (guint i = 0; i < d->tasks->len; i++)
      g_ptr_array_add (self->task_names,
                       g_strdup (((MsStoreTask *) g_ptr_array_index (d->tasks, i))->name));
  g_signal_handlers_block_by_func (self->run, on_filter_changed, self);
  g_signal_handlers_block_by_func (self->task, on_filter_changed, self);
  set_choices (self->run, _("All runs"), self->run_names);
  set_choices (self->task, _("All tasks"), self->task_names);
  g_signal_handlers_unblock_by_func (self->run, on_filter_changed, self);
  g_signal_handlers_unblock_by_func (self->task, on_filter_changed, self);

  g_autoptr (MsStoreResults) results = NULL;
  if (d != NULL && d->store != NULL && d->study != NULL)
    {
      MsStoreFilter filter = { .study = d->study->name };
      results = ms_store_results (d->store, &filter, NULL);
    }
  if (results != NULL && results->n > 0)
    {
      GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
      for (gsize i = 0; i < results->n; i++)
        g_ptr_array_add (items, memscope_sample_new (&results->rows[i]));
      g_list_store_splice (self->store, 0, 0, items->pdata, items->len);
      g_ptr_array_unref (items);
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "content");
    }
  else
    gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
  refilter (self);
  on_selection (NULL, NULL, self);
}

void
memscope_samples_select_run (MemscopeSamples *self, const char *run)
{
  guint pos = 0;
  for (guint i = 0; run != NULL && self->run_names != NULL && i < self->run_names->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->run_names, i), run) == 0)
      pos = i + 1;
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->run), pos);
}

void
memscope_samples_focus_search (MemscopeSamples *self)
{
  gtk_widget_grab_focus (self->search);
}
