/* A study over the ranks of an MPI job. Rank 0 coordinates: it alone holds the results store,
 * hands out runs one at a time to whichever worker asks next (so fast devices take more runs)
 * and writes each finished run into the store in one transaction. Every rank works, rank 0
 * through a thread: a worker runs the runs it is given on its own device into a private store
 * in memory, with the same code as a single process, and sends that store back whole. A busy
 * worker that stays silent past the timeout ends the job, naming its host and run. */
#include "study/ms-study-private.h"

#include <math.h>
#include <string.h>

#include "common/ms-mpi.h"
#include "common/ms-progress.h"

/* Messages: a fixed header, then the payload (a run's store, an error, a host). */
enum {
  MSG_READY = 1,   /* worker: set up; payload "host\tdevice" */
  MSG_PROGRESS,    /* worker: where its run is */
  MSG_RESULT,      /* worker: the run is done; payload the serialized store */
  MSG_FAILED,      /* worker: the run (or the set-up, run -1) failed; payload the message */
  MSG_RUN,         /* coordinator: do run RUN (FLAG: the store has its model) */
  MSG_STOP,        /* coordinator: no more runs (or stop the one in progress) */
};

typedef struct {
  gint32 run;          /* index in the plan, -1 none */
  gint32 flag;         /* RUN: the model is trained; RESULT: the worker trained it; FAILED:
                        * cancelled */
  gint32 done, total;  /* within the phase */
  gint32 phase;        /* PHASE_* */
  gint32 pad;
  double loss, rate;   /* training loss, tokens/s */
  double fraction;     /* of the run done */
} Header;

enum { PHASE_TRAINING, PHASE_PROBING, PHASE_OTHER };

/* A message in rank 0's own queues (its worker thread), as one from another rank would be. */
typedef struct {
  int tag;
  Header h;
  GBytes *payload;
} LocalMsg;

static void
local_msg_free (gpointer p)
{
  LocalMsg *m = p;
  g_clear_pointer (&m->payload, g_bytes_unref);
  g_free (m);
}

/* ---- the worker ------------------------------------------------------------------------- */

typedef struct {
  const MsStudySpec *spec;
  MsStudyOptions opt;        /* the caller's, with this worker's events and cancel flag */
  const MsStudyOptions *caller;
  GAsyncQueue *inbox, *outbox;  /* rank 0's thread: from and to the coordinator; NULL: MPI */
  volatile gint cancel;
  gint64 last_sent;
  int run;
  GError *error;             /* an MPI failure in a callback */
} Worker;

static gboolean
worker_send (Worker *w, int tag, const Header *h, const void *payload, gsize size,
             GError **error)
{
  if (w->outbox)
    {
      LocalMsg *m = g_new0 (LocalMsg, 1);
      m->tag = tag;
      m->h = *h;
      m->payload = g_bytes_new (payload, size);
      g_async_queue_push (w->outbox, m);
      return TRUE;
    }
  g_autofree guint8 *buf = g_malloc (sizeof *h + size);
  memcpy (buf, h, sizeof *h);
  if (size)
    memcpy (buf + sizeof *h, payload, size);
  return ms_mpi_send (0, tag, buf, sizeof *h + size, error);
}

static int
worker_recv (Worker *w, Header *h, GError **error)
{
  if (w->inbox)
    {
      LocalMsg *m = g_async_queue_pop (w->inbox);
      int tag = m->tag;
      *h = m->h;
      local_msg_free (m);
      return tag;
    }
  int tag = 0;
  g_autoptr (GBytes) b = ms_mpi_recv (0, -1, NULL, &tag, error);
  if (b == NULL)
    return -1;
  if (g_bytes_get_size (b) < sizeof *h)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "rank %d: a message of %" G_GSIZE_FORMAT
                   " bytes from the coordinator, expected at least %" G_GSIZE_FORMAT,
                   ms_mpi_rank (), g_bytes_get_size (b), sizeof *h);
      return -1;
    }
  memcpy (h, g_bytes_get_data (b, NULL), sizeof *h);
  return tag;
}

/* A stop from the coordinator while a run is in progress (other ranks: polled between steps). */
static void
worker_check_stop (Worker *w)
{
  if (w->caller->cancel && g_atomic_int_get (w->caller->cancel))
    g_atomic_int_set (&w->cancel, 1);
  if (w->inbox || w->error)
    return;
  gboolean waiting = FALSE;
  if (!ms_mpi_poll (0, MSG_STOP, &waiting, NULL, NULL, &w->error))
    g_atomic_int_set (&w->cancel, 1);
  else if (waiting)
    g_atomic_int_set (&w->cancel, 1);
}

/* The run's events become progress messages, a few a second. */
static void
worker_on_event (const MsStudyEvent *ev, gpointer user)
{
  Worker *w = user;
  worker_check_stop (w);
  gint64 now = g_get_monotonic_time ();
  if (ev->kind != MS_STUDY_EVENT_TRAIN_STEP && ev->kind != MS_STUDY_EVENT_PROBE)
    return;
  if (now - w->last_sent < G_USEC_PER_SEC / 4 || w->error)
    return;
  w->last_sent = now;
  Header h = { w->run, 0, ev->done, ev->total,
               ev->kind == MS_STUDY_EVENT_TRAIN_STEP ? PHASE_TRAINING : PHASE_PROBING, 0,
               ev->loss, ev->tokens_per_second, ev->overall };
  worker_send (w, MSG_PROGRESS, &h, NULL, 0, &w->error);
}

static gboolean
worker_fail (Worker *w, int run, gboolean cancelled, const GError *e, GError **error)
{
  Header h = { run, cancelled, 0, 0, PHASE_OTHER, 0, NAN, NAN, 0 };
  return worker_send (w, MSG_FAILED, &h, e->message, strlen (e->message), error);
}

static char *device_for_rank (const char *selector, GError **error);

/* Set up, say so, then do runs until told to stop. A set-up that fails is reported to the
 * coordinator, which ends the job. FALSE only when the coordinator can no longer be told
 * anything (an MPI failure). */
static gboolean
worker_main (Worker *w, GError **error)
{
  w->opt = *w->caller;
  w->opt.on_event = worker_on_event;
  w->opt.user = w;
  w->opt.cancel = &w->cancel;
  w->opt.only_runs_listed = FALSE;
  w->run = -1;
  GError *local = NULL;
  g_autoptr (MsStore) mem = ms_store_open_full (w->caller->store_path, MS_STORE_OPEN_MEMORY,
                                                &local);
  Study s = { .spec = w->spec, .store = mem, .opt = &w->opt, .started = g_get_monotonic_time (),
              .store_path = w->caller->store_path };
  gboolean ok = TRUE;
  g_autofree char *device = NULL;
  if (mem == NULL || !(device = device_for_rank (w->caller->device, &local))
      || !study_setup (&s, &local) || !study_open_model (&s, device, &local))
    {
      /* Told, the coordinator ends the job with this message and sends a stop. */
      g_prefix_error (&local, "rank %d (%s): ", ms_mpi_rank (), ms_mpi_host ());
      if (!(ok = worker_fail (w, -1, FALSE, local, error)))
        goto out;
      g_clear_error (&local);
    }
  else
    {
    g_autofree char *dev = ms_device_describe (s.dev);
    g_autofree char *hello = g_strdup_printf ("%s\t%s", ms_mpi_host (), dev);
    Header h = { -1, 0, 0, 0, PHASE_OTHER, 0, NAN, NAN, 0 };
    if (!(ok = worker_send (w, MSG_READY, &h, hello, strlen (hello), error)))
      goto out;
    }
  for (;;)
    {
      Header h;
      int tag = worker_recv (w, &h, error);
      if (tag < 0)
        {
          ok = FALSE;
          break;
        }
      if (tag == MSG_STOP)
        break;
      if (tag != MSG_RUN || h.run < 0 || h.run >= s.n_runs)
        continue;
      Run *r = &s.runs[h.run];
      s.current = w->run = h.run;
      /* This worker's figures are of its run alone: the coordinator adds them up. */
      s.done_cost = 0;
      s.total_cost = study_train_cost (&s, r) + study_probe_cost (&s, r);
      s.phase = "done";
      s.phase_cost = s.phase_from = 0;
      g_autofree char *dir = study_run_dir (&s, r);
      g_autofree char *model = g_build_filename (dir, "model.bin", NULL);
      /* Trained before (the store says so) and its folder is on this node: only probe. */
      gboolean trained = h.flag && g_file_test (model, G_FILE_TEST_IS_REGULAR);
      gboolean done = study_do_run (&s, r, trained, &local);
      if (w->error)
        {
          g_propagate_error (error, g_steal_pointer (&w->error));
          ok = FALSE;
          break;
        }
      if (done)
        {
          g_autoptr (GBytes) b = ms_store_serialize (mem, &local);
          if (b == NULL)
            done = FALSE;
          else
            {
              Header res = { h.run, !trained, 0, 0, PHASE_OTHER, 0, NAN, NAN, 1 };
              if (!(ok = worker_send (w, MSG_RESULT, &res, g_bytes_get_data (b, NULL),
                                      g_bytes_get_size (b), error)))
                break;
            }
        }
      if (!done)
        {
          gboolean cancelled = g_error_matches (local, MS_ERROR, MS_ERROR_CANCELLED);
          if (!(ok = worker_fail (w, h.run, cancelled, local, error)))
            break;
          g_clear_error (&local);
        }
      /* What the run left in memory goes: the next run needs none of it. */
      ms_store_delete_run (mem, r->id, NULL);
      w->run = -1;
    }
out:
  g_clear_error (&local);
  study_clear (&s);
  return ok;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  GError *error = NULL;
  worker_main (w, &error);  /* in-process: the queues cannot fail */
  g_clear_error (&error);
  return NULL;
}

/* This rank's device: its entry of a comma-separated list, else the Nth device of the
 * default's type on its node. */
static char *
device_for_rank (const char *selector, GError **error)
{
  int local = ms_mpi_local_rank ();
  if (selector == NULL || *selector == '\0')
    selector = g_getenv ("MEMSCOPE_DEVICE");
  if (selector && strchr (selector, ','))
    {
      g_auto (GStrv) list = g_strsplit (selector, ",", -1);
      if ((guint) local >= g_strv_length (list))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "--device '%s' has %u entries but %s runs %d ranks: give one per rank of "
                       "a node", selector, g_strv_length (list), ms_mpi_host (),
                       ms_mpi_local_size ());
          return NULL;
        }
      return g_strstrip (g_strdup (list[local]));
    }
  if (selector && *selector)
    return g_strdup (selector);
  g_autoptr (GPtrArray) devices = ms_devices_list (error);
  if (devices == NULL)
    return NULL;
  const MsDeviceInfo *pick = ms_devices_select (devices, NULL, error);
  if (pick == NULL)
    return NULL;
  int n = 0;
  for (guint i = 0; i < devices->len; i++)
    n += ((const MsDeviceInfo *) devices->pdata[i])->type == pick->type;
  return g_strdup_printf ("%s:%d", ms_device_type_name (pick->type), local % MAX (n, 1));
}

/* ---- the coordinator -------------------------------------------------------------------- */

typedef struct {
  char *host, *device;
  int run;                 /* in progress, -1 idle */
  gboolean ready, stopped;
  gboolean stop_sent;      /* told to stop its run: it stops after the run, too */
  gint64 last_heard;
  Header last;
} Peer;

typedef struct {
  Study *s;
  Peer *peers;
  int n_peers;
  int *todo, n_todo, next;
  int n_done, n_total;
  gboolean stopping;       /* no more runs handed out */
  GError *error;           /* the first failure */
  Worker *local;           /* rank 0's worker */
  GAsyncQueue *from_local;
  gint64 last_line;
  double timeout;
} Coord;

static const char *
peer_name (const Coord *c, int rank, char *buf, gsize size)
{
  const Peer *p = &c->peers[rank];
  g_snprintf (buf, size, "rank %d (%s)", rank, p->host ? p->host : "?");
  return buf;
}

static gboolean
coord_send (Coord *c, int rank, int tag, const Header *h, GError **error)
{
  if (rank == 0)
    {
      LocalMsg *m = g_new0 (LocalMsg, 1);
      m->tag = tag;
      m->h = *h;
      g_async_queue_push (c->local->inbox, m);
      if (tag == MSG_STOP && c->peers[0].run >= 0)
        g_atomic_int_set (&c->local->cancel, 1);
      return TRUE;
    }
  return ms_mpi_send (rank, tag, h, sizeof *h, error);
}

static void
coord_emit (Coord *c, MsStudyEventKind kind, int rank, const char *message)
{
  Study *s = c->s;
  if (s->opt->on_event == NULL)
    return;
  double now_done = s->done_cost;
  for (int i = 0; i < c->n_peers; i++)
    if (c->peers[i].run >= 0)
      now_done += s->runs[c->peers[i].run].cost * CLAMP (c->peers[i].last.fraction, 0, 1);
  double overall = s->total_cost > 0 ? MIN (now_done / s->total_cost, 1.0) : 1.0;
  double elapsed = (g_get_monotonic_time () - s->started) / 1e6;
  double eta = now_done > 0 && elapsed > 5 ? elapsed * (s->total_cost - now_done) / now_done : -1;
  const Peer *p = rank >= 0 ? &c->peers[rank] : NULL;
  int run = p && p->run >= 0 ? p->run : 0;
  MsStudyEvent ev = { kind, s->runs[run].name, run + 1, s->n_runs, NULL, c->n_done, c->n_total,
                      NAN, NAN, overall, eta, message };
  s->opt->on_event (&ev, s->opt->user);
}

/* One line for the whole job: runs done, each busy worker's run and speed, the ETA. */
static void
coord_line (Coord *c)
{
  gint64 now = g_get_monotonic_time ();
  if (now - c->last_line < G_USEC_PER_SEC / 2)
    return;
  c->last_line = now;
  g_autoptr (GString) line = g_string_new (NULL);
  g_string_append_printf (line, "runs %d/%d done", c->n_done, c->n_total);
  static const char *const phases[] = { "train", "probe", "" };
  for (int i = 0; i < c->n_peers; i++)
    {
      const Peer *p = &c->peers[i];
      if (p->run < 0)
        continue;
      g_string_append_printf (line, " | r%d %s", i, c->s->runs[p->run].name);
      if (p->last.total > 0)
        g_string_append_printf (line, " %s %d/%d", phases[CLAMP (p->last.phase, 0, 2)],
                                p->last.done, p->last.total);
      if (p->last.phase == PHASE_TRAINING && isfinite (p->last.rate))
        g_string_append_printf (line, " %.0f tok/s", p->last.rate);
    }
  coord_emit (c, MS_STUDY_EVENT_JOB, -1, line->str);
}

static void
coord_fail (Coord *c, GError *e)
{
  if (c->error == NULL)
    c->error = e;
  else
    g_error_free (e);
  c->stopping = TRUE;
}

/* The next run for RANK, or a stop when there is none (or the job is ending). */
static gboolean
coord_assign (Coord *c, int rank, GError **error)
{
  Study *s = c->s;
  Peer *p = &c->peers[rank];
  while (!c->stopping && c->next < c->n_todo)
    {
      Run *r = &s->runs[c->todo[c->next++]];
      int owner = 0;
      if (!ms_store_lease_run (s->store, r->id, &owner, error))
        return FALSE;
      if (owner != 0)
        {
          g_autofree char *why = g_strdup_printf ("%s: being run by process %d on this machine",
                                                  r->name, owner);
          coord_emit (c, MS_STUDY_EVENT_MESSAGE, -1, why);
          continue;
        }
      g_autoptr (MsStoreRun) stored = ms_store_get_run (s->store, r->id, error);
      if (stored == NULL)
        return FALSE;
      if (stored->status == MS_RUN_DONE)
        {
          ms_store_release_run (s->store, r->id);
          continue;
        }
      gboolean has_model = ms_run_state_has_model (stored->status);
      Header h = { (gint32) (r - s->runs), has_model, 0, 0, PHASE_OTHER, 0, NAN, NAN, 0 };
      if (!coord_send (c, rank, MSG_RUN, &h, error))
        return FALSE;
      p->run = h.run;
      p->last = h;
      p->last_heard = g_get_monotonic_time ();
      char who[300];
      g_autofree char *msg = g_strdup_printf ("on %s", peer_name (c, rank, who, sizeof who));
      coord_emit (c, MS_STUDY_EVENT_RUN_START, rank, msg);
      return TRUE;
    }
  Header h = { -1, 0, 0, 0, PHASE_OTHER, 0, NAN, NAN, 0 };
  p->stopped = TRUE;
  if (p->stop_sent)
    return TRUE;
  p->stop_sent = TRUE;
  return coord_send (c, rank, MSG_STOP, &h, error);
}

static gboolean
coord_handle (Coord *c, int rank, int tag, const Header *h, GBytes *payload, GError **error)
{
  Study *s = c->s;
  Peer *p = &c->peers[rank];
  p->last_heard = g_get_monotonic_time ();
  gsize size = 0;
  const char *data = payload ? g_bytes_get_data (payload, &size) : NULL;
  char who[300];
  peer_name (c, rank, who, sizeof who);
  if (tag != MSG_READY && tag != MSG_FAILED && (h->run < 0 || h->run != p->run))
    return TRUE;  /* late news of a run no longer in progress */
  switch (tag)
    {
    case MSG_READY:
      {
        g_autofree char *text = g_strndup (data ? data : "", size);
        char *tab = strchr (text, '\t');
        if (tab)
          *tab++ = '\0';
        g_free (p->host);
        g_free (p->device);
        p->host = g_strdup (text);
        p->device = g_strdup (tab ? tab : "");
        p->ready = TRUE;
        g_autofree char *msg = g_strdup_printf ("%s: %s", peer_name (c, rank, who, sizeof who),
                                                p->device);
        coord_emit (c, MS_STUDY_EVENT_MESSAGE, -1, msg);
        return coord_assign (c, rank, error);
      }
    case MSG_PROGRESS:
      p->last = *h;
      coord_line (c);
      return TRUE;
    case MSG_RESULT:
      {
        Run *r = &s->runs[h->run];
        GError *e = NULL;
        if (!ms_store_import_run (s->store, r->id, r->name, payload, h->flag, who, &e))
          {
            ms_store_release_run (s->store, r->id);
            p->run = -1;
            /* The store could not take it: that is this job's end, whoever sent it. */
            g_propagate_error (error, e);
            return FALSE;
          }
        ms_store_release_run (s->store, r->id);
        s->done_cost += r->cost;
        c->n_done++;
        g_autofree char *msg = g_strdup_printf ("on %s, %.1f MB of results", who,
                                                size / 1e6);
        coord_emit (c, MS_STUDY_EVENT_RUN_DONE, rank, msg);
        p->run = -1;
        p->last.fraction = 0;
        return coord_assign (c, rank, error);
      }
    case MSG_FAILED:
      {
        g_autofree char *text = g_strndup (data ? data : "", size);
        if (h->run >= 0 && h->run == p->run)
          {
            Run *r = &s->runs[h->run];
            if (!h->flag)
              ms_store_set_run_status (s->store, r->id, MS_RUN_FAILED, text, NULL);
            ms_store_release_run (s->store, r->id);
            p->run = -1;
            coord_fail (c, h->flag ? g_error_new (MS_ERROR, MS_ERROR_CANCELLED, "cancelled")
                                   : g_error_new (MS_ERROR, MS_ERROR_IO, "run %s on %s: %s",
                                                  r->name, who, text));
          }
        else
          coord_fail (c, g_error_new (MS_ERROR, MS_ERROR_IO, "%s", text));
        /* The worker waits for its next order: a stop. */
        return coord_assign (c, rank, error);
      }
    default:
      return TRUE;
    }
}

static gboolean
coord_poll (Coord *c, gboolean *got, GError **error)
{
  *got = FALSE;
  LocalMsg *m = g_async_queue_try_pop (c->from_local);
  if (m)
    {
      *got = TRUE;
      gboolean ok = coord_handle (c, 0, m->tag, &m->h, m->payload, error);
      local_msg_free (m);
      return ok;
    }
  if (c->n_peers == 1)
    return TRUE;
  gboolean waiting = FALSE;
  int from = 0, tag = 0;
  if (!ms_mpi_poll (-1, -1, &waiting, &from, &tag, error))
    return FALSE;
  if (!waiting)
    return TRUE;
  *got = TRUE;
  g_autoptr (GBytes) b = ms_mpi_recv (from, tag, NULL, NULL, error);
  if (b == NULL)
    return FALSE;
  gsize size = g_bytes_get_size (b);
  if (size < sizeof (Header) || from <= 0 || from >= c->n_peers)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "a message of %" G_GSIZE_FORMAT " bytes "
                   "from rank %d is not one of a memscope worker", size, from);
      return FALSE;
    }
  Header h;
  memcpy (&h, g_bytes_get_data (b, NULL), sizeof h);
  g_autoptr (GBytes) payload = g_bytes_new_from_bytes (b, sizeof h, size - sizeof h);
  return coord_handle (c, from, tag, &h, payload, error);
}

/* A busy worker that has said nothing for the timeout: the job cannot finish. */
static gboolean
coord_check_silence (Coord *c, GError **error)
{
  gint64 now = g_get_monotonic_time ();
  for (int i = 0; i < c->n_peers; i++)
    {
      const Peer *p = &c->peers[i];
      double quiet = (now - p->last_heard) / 1e6;
      if (p->stopped || quiet < c->timeout)
        continue;
      char who[300];
      peer_name (c, i, who, sizeof who);
      if (p->run >= 0)
        g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s stopped answering during run %s (nothing "
                     "for %.0f s); the store holds every run finished so far: run the same "
                     "command again to continue", who, c->s->runs[p->run].name, quiet);
      else
        g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s did not start (nothing for %.0f s)", who,
                     quiet);
      return FALSE;
    }
  return TRUE;
}

static gboolean
coordinate (Coord *c, GError **error)
{
  Study *s = c->s;
  const MsStudyOptions *opt = s->opt;
  gint64 since_stop = 0;
  for (;;)
    {
      gboolean all_stopped = TRUE;
      for (int i = 0; i < c->n_peers; i++)
        all_stopped &= c->peers[i].stopped && c->peers[i].run < 0;
      if (all_stopped)
        break;
      if (!c->stopping && opt->cancel && g_atomic_int_get (opt->cancel))
        {
          coord_fail (c, g_error_new (MS_ERROR, MS_ERROR_CANCELLED, "cancelled"));
          since_stop = g_get_monotonic_time ();
          /* Said at once: when a rank dies, mpirun ends the others moments later. */
          g_autoptr (GString) busy = g_string_new ("stopping (a signal; mpirun sends one to "
                                                   "every rank when one dies)");
          for (int i = 0; i < c->n_peers; i++)
            if (c->peers[i].run >= 0)
              {
                char who[300];
                g_string_append_printf (busy, "%s %s on %s", busy->len > 60 ? "," : "; in "
                                        "progress:", s->runs[c->peers[i].run].name,
                                        peer_name (c, i, who, sizeof who));
              }
          coord_emit (c, MS_STUDY_EVENT_MESSAGE, -1, busy->str);
          /* Busy workers stop their runs (keeping training state), idle ones are told. */
          for (int i = 0; i < c->n_peers; i++)
            {
              Header h = { -1, 0, 0, 0, PHASE_OTHER, 0, NAN, NAN, 0 };
              if (c->peers[i].run < 0 || c->peers[i].stop_sent)
                continue;
              c->peers[i].stop_sent = TRUE;
              if (!coord_send (c, i, MSG_STOP, &h, error))
                return FALSE;
            }
        }
      /* After a stop the workers get a while to save their state; one that was killed with
       * the job (mpirun ends every rank when one dies) never answers. */
      if (since_stop && g_get_monotonic_time () - since_stop > 20 * G_USEC_PER_SEC)
        break;
      gboolean got = FALSE;
      if (!coord_poll (c, &got, error) || !coord_check_silence (c, error))
        return FALSE;
      if (!got)
        g_usleep (2000);
    }
  if (c->error)
    {
      g_propagate_error (error, g_steal_pointer (&c->error));
      return FALSE;
    }
  return TRUE;
}

static double
worker_timeout (const MsStudyOptions *opt)
{
  if (opt->worker_timeout > 0)
    return opt->worker_timeout;
  const char *env = g_getenv ("MEMSCOPE_WORKER_TIMEOUT");
  double v = env ? g_ascii_strtod (env, NULL) : 0;
  return v > 0 ? v : 600;
}

gboolean
study_run_mpi (const MsStudySpec *spec, MsStore *store, const MsStudyOptions *opt,
               GError **error)
{
  int rank = ms_mpi_rank (), size = ms_mpi_size ();
  MsStudyOptions wopt = *opt;
  if (store)
    wopt.store_path = ms_store_path (store);
  if (rank != 0)
    {
      Worker w = { .spec = spec, .caller = &wopt };
      return worker_main (&w, error);
    }

  g_return_val_if_fail (store != NULL, FALSE);
  Study s = { .spec = spec, .store = store, .opt = opt, .started = g_get_monotonic_time (),
              .store_path = ms_store_path (store) };
  if (!study_setup (&s, error))
    {
      study_clear (&s);
      return FALSE;
    }
  Coord c = { .s = &s, .n_peers = size, .timeout = worker_timeout (opt) };
  c.peers = g_new0 (Peer, size);
  c.todo = g_new (int, s.n_runs);
  for (int i = 0; i < s.n_runs; i++)
    {
      if (s.runs[i].status != MS_RUN_DONE && study_wanted (opt, s.runs[i].name))
        c.todo[c.n_todo++] = i;
      else
        {
          g_autofree char *why = g_strdup_printf ("%s: %s", s.runs[i].name,
                                                  study_wanted (opt, s.runs[i].name)
                                                    ? "already done" : "not selected");
          coord_emit (&c, MS_STUDY_EVENT_MESSAGE, -1, why);
        }
    }
  c.n_total = c.n_todo;
  gint64 now = g_get_monotonic_time ();
  for (int i = 0; i < size; i++)
    c.peers[i].run = -1, c.peers[i].last_heard = now;
  g_autofree char *job = g_strdup_printf ("%d runs to do over %d ranks", c.n_todo, size);
  coord_emit (&c, MS_STUDY_EVENT_MESSAGE, -1, job);
  Worker local = { .spec = spec, .caller = &wopt };
  local.inbox = g_async_queue_new_full (local_msg_free);
  local.outbox = c.from_local = g_async_queue_new_full (local_msg_free);
  c.local = &local;
  GThread *thread = g_thread_new ("memscope-worker", worker_thread, &local);
  gboolean ok = coordinate (&c, error);
  if (!ok)
    {
      /* Rank 0's own worker stops too, so the thread can be joined. */
      g_atomic_int_set (&local.cancel, 1);
      Header h = { -1, 0, 0, 0, PHASE_OTHER, 0, NAN, NAN, 0 };
      if (!c.peers[0].stop_sent)
        coord_send (&c, 0, MSG_STOP, &h, NULL);
    }
  g_thread_join (thread);
  for (int i = 0; i < size; i++)
    if (c.peers[i].run >= 0)
      ms_store_release_run (store, s.runs[c.peers[i].run].id);
  for (int i = 0; i < size; i++)
    {
      g_free (c.peers[i].host);
      g_free (c.peers[i].device);
    }
  g_clear_error (&c.error);
  g_free (c.peers);
  g_free (c.todo);
  g_async_queue_unref (local.inbox);
  g_async_queue_unref (local.outbox);
  study_clear (&s);
  return ok;
}
