/* The detail pane of a probed sample. The shared run's positions are stored in characters (code
 * points, an invalid byte counting as one); ms_chars_decode turns them into byte ranges, and
 * each piece is made valid UTF-8 on its own so that the highlight stays on the shared text. */
#include "memscope-sample-detail.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "memscope-sample.h"
#include "probe/ms-scores.h"

typedef struct {
  GtkWidget *stack, *title, *subtitle, *scores, *text;
} Detail;

static void
insert_valid (GtkTextBuffer *buf, GtkTextIter *end, const char *text, gsize len,
              const char *tag)
{
  g_autofree char *valid = g_utf8_make_valid (text, (gssize) len);
  if (tag != NULL)
    gtk_text_buffer_insert_with_tags_by_name (buf, end, valid, -1, tag, NULL);
  else
    gtk_text_buffer_insert_with_tags_by_name (buf, end, valid, -1, "body", NULL);
}

/* TEXT with its characters [START, START + LEN) tagged as shared. */
static void
insert_with_run (GtkTextBuffer *buf, GtkTextIter *end, const char *text, gint64 start,
                 gint64 len)
{
  g_autoptr (MsChars) chars = ms_chars_decode (text, -1);
  if (len <= 0 || start < 0 || (gsize) (start + len) > chars->n_chars)
    {
      insert_valid (buf, end, text, strlen (text), NULL);
      return;
    }
  gsize a = chars->byte_offsets[start], b = chars->byte_offsets[start + len];
  insert_valid (buf, end, text, a, NULL);
  insert_valid (buf, end, text + a, b - a, "shared");
  insert_valid (buf, end, text + b, strlen (text + b), NULL);
}

static void
heading (GtkTextBuffer *buf, GtkTextIter *end, const char *title, const char *note)
{
  if (gtk_text_iter_get_offset (end) > 0)
    gtk_text_buffer_insert (buf, end, "\n\n", -1);
  gtk_text_buffer_insert_with_tags_by_name (buf, end, title, -1, "heading", NULL);
  if (note != NULL)
    {
      gtk_text_buffer_insert (buf, end, "  ", -1);
      gtk_text_buffer_insert_with_tags_by_name (buf, end, note, -1, "note", NULL);
    }
  gtk_text_buffer_insert (buf, end, "\n", -1);
}

static GtkWidget *
score_chip (const char *name, const char *value, gboolean flagged)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_add_css_class (box, "score-chip");
  if (flagged)
    gtk_widget_add_css_class (box, "flagged");
  GtkWidget *v = gtk_label_new (value);
  gtk_widget_add_css_class (v, "score-value");
  gtk_widget_add_css_class (v, "numeric");
  GtkWidget *n = gtk_label_new (name);
  gtk_widget_add_css_class (n, "caption");
  gtk_widget_add_css_class (n, "dim-label");
  gtk_box_append (GTK_BOX (box), v);
  gtk_box_append (GTK_BOX (box), n);
  return box;
}

static void
fill_scores (Detail *d, const MsStoreScores *s)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (d->scores)) != NULL)
    gtk_flow_box_remove (GTK_FLOW_BOX (d->scores), child);
  char buf[64];
  const char *yes = _("yes"), *no = _("no");
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores),
                       score_chip (_("Exact"), s->exact ? yes : no, s->exact));
  g_snprintf (buf, sizeof buf, "%.0f%%", 100 * s->token_match);
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores), score_chip (_("Token match"), buf, FALSE));
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, s->lcs_chars);
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores),
                       score_chip (_("Shared run (chars)"), buf, s->verbatim));
  g_snprintf (buf, sizeof buf, "%.2f", s->rouge_l);
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores), score_chip (_("ROUGE-L"), buf, FALSE));
  g_snprintf (buf, sizeof buf, "%.2f", s->bleu);
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores), score_chip (_("BLEU"), buf, FALSE));
  g_snprintf (buf, sizeof buf, "%.0f%%", 100 * s->align_gen_cov);
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores), score_chip (_("Aligned"), buf, FALSE));
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores),
                       score_chip (_("Paraphrase"), s->paraphrase ? yes : no, s->paraphrase));
  gtk_flow_box_append (GTK_FLOW_BOX (d->scores),
                       score_chip (_("Idea"), s->idea ? yes : no, s->idea));
}

void
memscope_sample_detail_show (GtkWidget *widget, MsStore *store, gint64 id)
{
  Detail *d = g_object_get_data (G_OBJECT (widget), "detail");
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStoreGeneration) g = id > 0 && store != NULL
                                    ? ms_store_get_generation (store, id, &error) : NULL;
  if (g == NULL)
    {
      gtk_stack_set_visible_child_name (GTK_STACK (d->stack), "none");
      return;
    }
  gtk_stack_set_visible_child_name (GTK_STACK (d->stack), "detail");
  g_autofree char *title = g_strdup_printf ("%s · %s", g->task, g->record_id);
  gtk_label_set_text (GTK_LABEL (d->title), title);
  g_autofree char *sub = g_strdup_printf ("%s · %s · %s", g->run, memscope_split_label (g->split),
                                          g_strcmp0 (g->probe, "target") == 0
                                          ? _("target probe") : _("input probe"));
  gtk_label_set_text (GTK_LABEL (d->subtitle), sub);
  fill_scores (d, &g->scores);

  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (d->text));
  gtk_text_buffer_set_text (buf, "", 0);
  GtkTextIter end;
  gtk_text_buffer_get_end_iter (buf, &end);
  g_autofree char *prompt_note = g_strdup_printf (
      g_dngettext (NULL, "%d token", "%d tokens", (gulong) g->prompt_tokens),
      (int) g->prompt_tokens);
  heading (buf, &end, _("Prompt"), prompt_note);
  /* The input probe's prompt is the start of the input and its reference the text right
   * after it, so the prompt is what comes before the reference. */
  const char *at = g_strcmp0 (g->probe, "input") == 0 && g->reference[0] != '\0'
                   ? strstr (g->input, g->reference) : NULL;
  if (at != NULL)
    insert_valid (buf, &end, g->input, (gsize) (at - g->input), "prompt");
  else
    insert_valid (buf, &end, g->input, strlen (g->input), "prompt");

  heading (buf, &end, _("True continuation"), _("what the training data says next"));
  insert_with_run (buf, &end, g->reference, g->scores.lcs_ref_start, g->scores.lcs_chars);
  heading (buf, &end, _("Generation"), _("greedy decoding of the fine-tuned model"));
  if (g->text[0] == '\0')
    gtk_text_buffer_insert_with_tags_by_name (buf, &end, _("(empty)"), -1, "note", NULL);
  else
    insert_with_run (buf, &end, g->text, g->scores.lcs_gen_start, g->scores.lcs_chars);
  if (g->scores.lcs_chars > 0)
    {
      g_autofree char *legend = g_strdup_printf (
          g_dngettext (NULL, "Highlighted: the longest run both texts share, %d character.",
                       "Highlighted: the longest run both texts share, %d characters.",
                       (gulong) g->scores.lcs_chars),
          (int) g->scores.lcs_chars);
      gtk_text_buffer_insert (buf, &end, "\n\n", -1);
      gtk_text_buffer_insert_with_tags_by_name (buf, &end, legend, -1, "note", NULL);
    }
}

GtkWidget *
memscope_sample_detail_new (void)
{
  Detail *d = g_new0 (Detail, 1);
  d->stack = gtk_stack_new ();
  g_object_set_data_full (G_OBJECT (d->stack), "detail", d, g_free);
  GtkWidget *none = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (none), "edit-find-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (none), _("No Sample Selected"));
  adw_status_page_set_description (ADW_STATUS_PAGE (none),
                                   _("Pick a sample to read its prompt, the true continuation "
                                     "and the model's generation."));
  gtk_widget_add_css_class (none, "compact");
  gtk_stack_add_named (GTK_STACK (d->stack), none, "none");

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (box, "sample-detail");
  d->title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (d->title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (d->title), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (d->title, "title-3");
  d->subtitle = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (d->subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (d->subtitle), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (d->subtitle, "dim-label");
  d->scores = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (d->scores), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (d->scores), 4);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (d->scores), 2);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (d->scores), 6);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (d->scores), 6);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (d->scores), TRUE);

  d->text = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (d->text), FALSE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (d->text), FALSE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (d->text), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (d->text), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (d->text), 12);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (d->text), 12);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (d->text), 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (d->text), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Prompt, true continuation and generation"), -1);
  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (d->text));
  gtk_text_buffer_create_tag (buf, "heading", "weight", PANGO_WEIGHT_BOLD, "scale", 1.05, NULL);
  gtk_text_buffer_create_tag (buf, "note", "style", PANGO_STYLE_ITALIC, "foreground-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 1 }, NULL);
  gtk_text_buffer_create_tag (buf, "prompt", "foreground-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 1 }, NULL);
  gtk_text_buffer_create_tag (buf, "body", NULL);
  /* A yellow that reads on light and dark backgrounds alike (GNOME's yellow 3, translucent). */
  gtk_text_buffer_create_tag (buf, "shared", "background-rgba",
                              &(GdkRGBA) { 0.965, 0.827, 0.176, 0.45 }, "underline",
                              PANGO_UNDERLINE_SINGLE, NULL);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), d->text);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroll, TRUE);
  GtkWidget *frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), scroll);

  gtk_box_append (GTK_BOX (box), d->title);
  gtk_box_append (GTK_BOX (box), d->subtitle);
  gtk_box_append (GTK_BOX (box), d->scores);
  gtk_box_append (GTK_BOX (box), frame);
  gtk_stack_add_named (GTK_STACK (d->stack), box, "detail");
  gtk_stack_set_visible_child_name (GTK_STACK (d->stack), "none");
  return d->stack;
}
