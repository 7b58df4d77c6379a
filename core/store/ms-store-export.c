/* Exporting query rows as CSV (RFC 4180) or JSON, streamed to a file written atomically or to
 * standard output, and running read-only SQL for `memscope results --sql`. Values keep their
 * SQL type; text is made valid UTF-8 so every JSON parser accepts the file. */
#include "store/ms-store-private.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/ms-atomic.h"
#include "common/ms-csv.h"
#include "common/ms-error.h"

/* ---- Output: a buffer flushed to an atomic file or to stdout ----------------------------- */

typedef struct {
  GString *buf;
  MsAtomicFile *file;   /* NULL: standard output */
  const char *path;
} Sink;

static gboolean
sink_flush (Sink *s, GError **error)
{
  if (s->buf->len == 0)
    return TRUE;
  if (s->file)
    {
      if (!ms_atomic_file_write (s->file, s->buf->str, s->buf->len, error))
        return FALSE;
    }
  else if (fwrite (s->buf->str, 1, s->buf->len, stdout) != s->buf->len)
    {
      int e = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "standard output: %s", g_strerror (e));
      return FALSE;
    }
  g_string_truncate (s->buf, 0);
  return TRUE;
}

/* ---- Values ------------------------------------------------------------------------------ */

/* The shortest decimal that reads back as V (up to 17 digits), with ".0" on whole numbers so
 * that a REAL stays a float for JSON readers. Non-finite values are left to the caller. */
static void
append_double (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int digits = 15; digits <= 17; digits++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

/* A column's text, valid UTF-8 (invalid bytes become U+FFFD). */
static char *
column_utf8 (sqlite3_stmt *stmt, int i)
{
  const char *t = (const char *) sqlite3_column_text (stmt, i);
  int n = sqlite3_column_bytes (stmt, i);
  return g_utf8_make_valid (t ? t : "", n);
}

static void
append_hex (GString *out, const guint8 *p, gsize n)
{
  for (gsize k = 0; k < n; k++)
    g_string_append_printf (out, "%02x", p[k]);
}

/* A cell as text for CSV and tables; NULL for SQL NULL. */
static char *
cell_text (sqlite3_stmt *stmt, int i)
{
  switch (sqlite3_column_type (stmt, i))
    {
    case SQLITE_NULL:
      return NULL;
    case SQLITE_INTEGER:
      return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, i));
    case SQLITE_FLOAT:
      {
        double v = sqlite3_column_double (stmt, i);
        if (!isfinite (v))
          return g_strdup (isnan (v) ? "nan" : v > 0 ? "inf" : "-inf");
        GString *s = g_string_new (NULL);
        append_double (s, v);
        return g_string_free (s, FALSE);
      }
    case SQLITE_BLOB:
      {
        const guint8 *p = sqlite3_column_blob (stmt, i);
        gsize n = sqlite3_column_bytes (stmt, i);
        GString *s = g_string_new ("x'");
        append_hex (s, p, n);
        g_string_append_c (s, '\'');
        return g_string_free (s, FALSE);
      }
    default:
      return column_utf8 (stmt, i);
    }
}

static void
append_json_string (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) text; *p; p++)
    switch (*p)
      {
      case '"': g_string_append (out, "\\\""); break;
      case '\\': g_string_append (out, "\\\\"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      case '\t': g_string_append (out, "\\t"); break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, *p);
      }
  g_string_append_c (out, '"');
}

static void
append_json_value (GString *out, sqlite3_stmt *stmt, int i)
{
  switch (sqlite3_column_type (stmt, i))
    {
    case SQLITE_NULL:
      g_string_append (out, "null");
      break;
    case SQLITE_INTEGER:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, i));
      break;
    case SQLITE_FLOAT:
      {
        double v = sqlite3_column_double (stmt, i);
        if (isfinite (v))
          append_double (out, v);
        else
          g_string_append (out, "null");  /* JSON has no NaN or infinity */
      }
      break;
    default:
      {
        g_autofree char *t = cell_text (stmt, i);
        append_json_string (out, t);
      }
    }
}

/* ---- Export ------------------------------------------------------------------------------ */

/* Steps STMT (bound) to the end and writes every row to PATH in FORMAT. */
static gboolean
export_stmt (MsStore *store, sqlite3_stmt *stmt, MsExportFormat format, const char *path,
             gsize *n_rows, GError **error)
{
  gboolean to_stdout = strcmp (path, "-") == 0;
  Sink sink = { .buf = g_string_sized_new (1 << 16), .path = path };
  if (!to_stdout && (sink.file = ms_atomic_file_new (path, error)) == NULL)
    {
      g_string_free (sink.buf, TRUE);
      sqlite3_reset (stmt);
      return FALSE;
    }
  int n_cols = sqlite3_column_count (stmt);
  g_autofree char **names = g_new0 (char *, n_cols + 1);
  for (int c = 0; c < n_cols; c++)
    names[c] = g_utf8_make_valid (sqlite3_column_name (stmt, c), -1);
  GString *b = sink.buf;
  if (format == MS_EXPORT_CSV)
    {
      for (int c = 0; c < n_cols; c++)
        ms_csv_field (b, names[c], c + 1 < n_cols ? "," : "\r\n");
    }
  else if (format == MS_EXPORT_JSON)
    g_string_append_c (b, '[');

  gsize n = 0;
  gboolean ok = TRUE;
  int rc;
  while (ok && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (format == MS_EXPORT_CSV)
        {
          for (int c = 0; c < n_cols; c++)
            {
              g_autofree char *t = cell_text (stmt, c);
              ms_csv_field (b, t, c + 1 < n_cols ? "," : "\r\n");
            }
        }
      else
        {
          if (format == MS_EXPORT_JSON)
            g_string_append (b, n ? ",\n " : "\n ");
          g_string_append_c (b, '{');
          for (int c = 0; c < n_cols; c++)
            {
              if (c)
                g_string_append_c (b, ',');
              append_json_string (b, names[c]);
              g_string_append_c (b, ':');
              append_json_value (b, stmt, c);
            }
          g_string_append_c (b, '}');
          if (format == MS_EXPORT_JSON_LINES)
            g_string_append_c (b, '\n');
        }
      n++;
      if (b->len >= (1 << 16))
        ok = sink_flush (&sink, error);
    }
  if (ok && rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db),
                          "cannot read the rows to export");
      ok = FALSE;
    }
  sqlite3_reset (stmt);
  if (ok && format == MS_EXPORT_JSON)
    g_string_append (b, n ? "\n]\n" : "]\n");
  ok = ok && sink_flush (&sink, error);
  if (sink.file)
    {
      if (ok)
        ok = ms_atomic_file_commit (sink.file, error);
      else
        ms_atomic_file_abort (sink.file);
    }
  else if (ok && fflush (stdout) != 0)
    {
      int e = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "standard output: %s", g_strerror (e));
      ok = FALSE;
    }
  for (int c = 0; c < n_cols; c++)
    g_free (names[c]);
  g_string_free (sink.buf, TRUE);
  if (ok && n_rows)
    *n_rows = n;
  return ok;
}

gboolean
ms_store_export (MsStore *store, const MsStoreFilter *filter, MsExportFormat format,
                 MsExportFlags flags, const char *path, gsize *n_rows, GError **error)
{
  g_autoptr (GString) sql = g_string_new (NULL);
  if (flags & MS_EXPORT_TEXTS)
    g_string_append (sql, "SELECT r.*, s.input AS input, s.output AS output, "
                     "g.reference AS reference, g.text AS generated FROM results r "
                     "JOIN samples s ON s.id = r.sample_id "
                     "JOIN generations g ON g.id = r.generation_id WHERE 1");
  else
    g_string_append (sql, "SELECT * FROM results r WHERE 1");
  ms_store_filter_sql (filter, "r.", sql);
  g_string_append (sql, " ORDER BY r.run_id, r.task_id, "
                   "CASE r.split WHEN 'train' THEN 0 ELSE 1 END, r.probe, r.sample_id");
  sqlite3_stmt *stmt = ms_store_stmt (store, sql->str, error);
  if (stmt == NULL)
    return FALSE;
  ms_store_filter_bind (filter, stmt, 1);
  return export_stmt (store, stmt, format, path, n_rows, error);
}

/* ---- Read-only queries ------------------------------------------------------------------- */

/* Statements that leave the database file alone but not the connection (transactions,
 * attached files, settings) are refused as well. */
static int
deny_side_effects (void *data, int action, const char *a, const char *b, const char *c,
                   const char *d)
{
  const char **why = data;
  switch (action)
    {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      *why = "it attaches or detaches a database";
      return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      *why = "it controls transactions";
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      if (b == NULL)
        return SQLITE_OK;
      *why = "it sets a PRAGMA";  /* PRAGMA x = value */
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
    }
}

/* Prepares SQL as a single read-only statement (not cached: it comes from the user). */
static sqlite3_stmt *
prepare_read_only (MsStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  const char *tail = NULL, *why = NULL;
  sqlite3_set_authorizer (store->db, deny_side_effects, &why);
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, &tail);
  sqlite3_set_authorizer (store->db, NULL, NULL);
  if (rc != SQLITE_OK && why)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: only read-only SQL (SELECT, WITH, EXPLAIN) is run here; '%.60s' is "
                   "refused: %s", store->path, sql, why);
      return NULL;
    }
  if (rc != SQLITE_OK)
    {
      ms_store_set_error (store, error, rc, "SQL not run");
      return NULL;
    }
  if (stmt == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: no SQL statement in '%s'",
                   store->path, sql);
      return NULL;
    }
  while (tail && (g_ascii_isspace (*tail) || *tail == ';'))
    tail++;
  if (tail && *tail)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: one SQL statement at a time; the rest is refused (from byte %ld: "
                   "'%.40s')",
                   store->path, (long) (tail - sql), tail);
      sqlite3_finalize (stmt);
      return NULL;
    }
  if (!sqlite3_stmt_readonly (stmt))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: only read-only SQL (SELECT, WITH, EXPLAIN) is run here; '%.60s' is "
                   "refused: it would change the store", store->path, sql);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

void
ms_store_table_free (MsStoreTable *table)
{
  if (table == NULL)
    return;
  g_strfreev (table->columns);
  for (gsize i = 0; i < (gsize) table->n_rows * table->n_columns; i++)
    g_free (table->cells[i]);
  g_free (table->cells);
  g_free (table->numeric);
  g_free (table);
}

MsStoreTable *
ms_store_query (MsStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = prepare_read_only (store, sql, error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (MsStoreTable) t = g_new0 (MsStoreTable, 1);
  t->n_columns = sqlite3_column_count (stmt);
  t->columns = g_new0 (char *, t->n_columns + 1);
  t->numeric = g_new (gboolean, t->n_columns);
  for (guint c = 0; c < t->n_columns; c++)
    {
      t->columns[c] = g_utf8_make_valid (sqlite3_column_name (stmt, c), -1);
      t->numeric[c] = TRUE;
    }
  g_autoptr (GPtrArray) cells = g_ptr_array_new ();
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (guint c = 0; c < t->n_columns; c++)
        {
          int type = sqlite3_column_type (stmt, c);
          if (type != SQLITE_NULL && type != SQLITE_INTEGER && type != SQLITE_FLOAT)
            t->numeric[c] = FALSE;
          g_ptr_array_add (cells, cell_text (stmt, c));
        }
      t->n_rows++;
    }
  t->cells = (char **) g_ptr_array_steal (cells, NULL);
  if (rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db), "query failed");
      sqlite3_finalize (stmt);
      return NULL;
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&t);
}

gboolean
ms_store_query_export (MsStore *store, const char *sql, MsExportFormat format,
                       const char *path, gsize *n_rows, GError **error)
{
  sqlite3_stmt *stmt = prepare_read_only (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  gboolean ok = export_stmt (store, stmt, format, path, n_rows, error);
  sqlite3_finalize (stmt);
  return ok;
}
