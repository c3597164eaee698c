/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite backend of the storage interface (store.h).
 *
 * Settings, each read back after it is set (osmo-hlr's "synchonous" typo
 * went unnoticed for years because nothing read it back):
 *   journal_mode = WAL     readers never block the writer
 *   synchronous  = NORMAL  always: with WAL a commit is atomic and survives
 *                          a process crash; the WAL is synced before each
 *                          checkpoint and the database file after it
 *   foreign_keys = ON      ON DELETE CASCADE holds
 *   busy_timeout           another process's write lock is waited for
 *
 * Durable transactions: group commit (docs/store.md "Group commit"). A
 * durable transaction commits like a lazy one, then waits, before commit
 * returns, until the -wal is synced past it: one thread at a time syncs it
 * for every commit written so far, by any handle of this process on the
 * same file, and the others wait for that sync instead of making their
 * own. So a durable commit is on stable storage when om_store_commit
 * returns, as with synchronous=FULL, and commits that arrive together
 * share one fdatasync. A thread that named its lock (om_store_sync_unlocks)
 * lets go of it for the wait, so the next handler's commit can arrive; a
 * lazy commit or a rollback waits for the durable commits written before
 * it that are still in their sync.
 *
 * BEGIN IMMEDIATE, COMMIT and ROLLBACK are prepared once per connection.
 *
 * The database holds secrets (the HSS's K and OPc): a new file is created
 * here with mode 0600, whatever the umask, before SQLite opens it; SQLite
 * gives its -wal, -shm and -journal the database file's mode (os_unix.c,
 * robust_open), so they are private too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

/*
 * One database file's group commit, shared by every handle this process has
 * on it (found by device and inode): commits written counts the durable
 * commits whose frames are in the -wal; every one up to flushed is on
 * stable storage. One thread at a time (flushing) syncs.
 */
struct wal_group {
	struct wal_group *next;
	dev_t dev;
	ino_t ino;
	unsigned refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t written, flushed, syncs;
	int flushing;
	int wal_fd; /* the group's own fd on the -wal, used by the leader only (-1: not open) */
};

static pthread_mutex_t groups_mu = PTHREAD_MUTEX_INITIALIZER;
static struct wal_group *groups;

enum { SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_N_TXN };
static const char *const txn_sql[SQ_N_TXN] = { "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };

struct sq_store {
	struct om_store base;
	sqlite3 *db;
	sqlite3_stmt *txn[SQ_N_TXN]; /* prepared once per connection */
	struct wal_group *group;     /* NULL for a database that is not a file */
	int durable;                 /* the open transaction's durability */
	unsigned waiting;            /* threads in group_flush on this handle (under group->mu) */
};

/* The caller's lock this thread's commits let go while they wait for a sync (om_store_sync_unlocks). */
static __thread pthread_mutex_t *sync_unlocks;

void om_store_sync_unlocks(pthread_mutex_t *mu)
{
	sync_unlocks = mu;
}

struct sq_stmt {
	struct om_stmt base;
	sqlite3_stmt *st;
};

static sqlite3 *db_of(struct om_store *s)
{
	return ((struct sq_store *)s)->db;
}

static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
		return 0;
	case SQLITE_ROW:
		return OM_STORE_ROW;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return OM_ESTORE_BUSY;
	case SQLITE_CONSTRAINT:
		return OM_ESTORE_CONSTRAINT;
	case SQLITE_NOMEM:
		return OM_ENOMEM;
	default:
		return OM_ESTORE;
	}
}

static int sq_exec(struct om_store *s, const char *sql)
{
	return map_rc(sqlite3_exec(db_of(s), sql, NULL, NULL, NULL));
}

/* Run a one-row PRAGMA and copy its first column as text. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t out_len)
{
	sqlite3_stmt *st = NULL;
	int rc = map_rc(sqlite3_prepare_v2(db, sql, -1, &st, NULL));
	if (rc < 0)
		goto out;
	rc = map_rc(sqlite3_step(st));
	if (rc != OM_STORE_ROW) {
		rc = rc < 0 ? rc : OM_ESTORE;
		goto out;
	}
	const unsigned char *t = sqlite3_column_text(st, 0);
	if (!t || strlen((const char *)t) >= out_len) {
		rc = OM_ENOSPC;
		goto out;
	}
	memcpy(out, t, strlen((const char *)t) + 1);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The settings a caller may read, each with its fixed query: no SQL from input. */
static const struct {
	const char *name;
	const char *sql;
} settings[] = {
	{ "journal_mode", "PRAGMA journal_mode" },
	{ "synchronous", "PRAGMA synchronous" },
	{ "foreign_keys", "PRAGMA foreign_keys" },
	{ "busy_timeout", "PRAGMA busy_timeout" },
	{ "user_version", "PRAGMA user_version" },
};

static int sq_setting(struct om_store *s, const char *name, char *out, size_t out_len)
{
	struct wal_group *g = ((struct sq_store *)s)->group;
	if (!strcmp(name, "durable_commits") || !strcmp(name, "wal_syncs")) {
		/* this process's group commit on the file, every handle counted */
		uint64_t v = 0;
		if (g) {
			pthread_mutex_lock(&g->mu);
			v = name[0] == 'd' ? g->written : g->syncs;
			pthread_mutex_unlock(&g->mu);
		}
		return snprintf(out, out_len, "%" PRIu64, v) < (int)out_len ? 0 : OM_ENOSPC;
	}
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(settings[i].name, name))
			return pragma_text(db_of(s), settings[i].sql, out, out_len);
	return OM_EINVAL;
}

/* Run one of the connection's transaction statements and make it ready to run again. */
static int txn_step(struct sq_store *q, int which)
{
	int rc = map_rc(sqlite3_step(q->txn[which]));
	sqlite3_reset(q->txn[which]);
	return rc == OM_STORE_ROW ? OM_ESTORE : rc;
}

/*
 * The file's group for db, taken (refs) or made; NULL for a database that
 * is not a file (":memory:", a temporary one), where durability means nothing.
 */
static int group_take(sqlite3 *db, struct wal_group **out)
{
	const char *path = sqlite3_db_filename(db, "main");
	struct stat st;
	*out = NULL;
	if (!path || !*path)
		return 0;
	if (stat(path, &st) < 0)
		return OM_ESTORE;
	pthread_mutex_lock(&groups_mu);
	struct wal_group *g = groups;
	while (g && (g->dev != st.st_dev || g->ino != st.st_ino))
		g = g->next;
	if (!g && (g = calloc(1, sizeof(*g)))) {
		g->dev = st.st_dev;
		g->ino = st.st_ino;
		pthread_mutex_init(&g->mu, NULL);
		pthread_cond_init(&g->cv, NULL);
		g->wal_fd = -1;
		g->next = groups;
		groups = g;
	}
	if (g)
		g->refs++;
	pthread_mutex_unlock(&groups_mu);
	*out = g;
	return g ? 0 : OM_ENOMEM;
}

static void group_drop(struct wal_group *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&groups_mu);
	if (--g->refs == 0) {
		struct wal_group **pp = &groups;
		while (*pp != g)
			pp = &(*pp)->next;
		*pp = g->next;
		if (g->wal_fd >= 0)
			close(g->wal_fd);
		pthread_mutex_destroy(&g->mu);
		pthread_cond_destroy(&g->cv);
		free(g);
	}
	pthread_mutex_unlock(&groups_mu);
}

/*
 * The leader's sync of the -wal. Another thread may be using q's connection
 * meanwhile (its caller's lock is let go), so the sync must not touch the
 * connection's own -wal sqlite3_file: it fdatasyncs an fd of the group's own
 * on the -wal's path (any fd on the inode syncs its data). The -wal keeps
 * its inode while any handle of the group is open (every connection holds
 * a SHARED lock on the database file in WAL mode, so none deletes it on
 * close); should it have been unlinked all the same, the fd is opened anew.
 * On a newly opened fd the directory is synced too, as SQLite's first sync
 * of a -wal it created does. If the -wal cannot be opened (say EMFILE), the
 * sync goes through the connection's handle under the connection's own
 * mutex (the store opens SQLITE_OPEN_FULLMUTEX), which waits for the other
 * thread's call to end. Only the leader (flushing) calls this for g.
 */
static int wal_sync(struct sq_store *q, struct wal_group *g, sqlite3_file *wal)
{
	struct stat st;
	if (g->wal_fd >= 0 && (fstat(g->wal_fd, &st) != 0 || st.st_nlink == 0)) {
		close(g->wal_fd);
		g->wal_fd = -1;
	}
	int fresh = 0;
	if (g->wal_fd < 0) {
		const char *wal_path = sqlite3_filename_wal(sqlite3_db_filename(q->db, "main"));
		if (wal_path)
			g->wal_fd = open(wal_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		fresh = g->wal_fd >= 0;
	}
	if (g->wal_fd < 0) {
		sqlite3_mutex *m = sqlite3_db_mutex(q->db);
		sqlite3_mutex_enter(m);
		int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
		sqlite3_mutex_leave(m);
		return rc;
	}
	if (fdatasync(g->wal_fd) != 0) {
		om_error("store-sync", "errno=%d reason=wal-fdatasync-failed", errno);
		return SQLITE_IOERR_FSYNC;
	}
	if (fresh) {
		char dir[4096];
		const char *wal_path = sqlite3_filename_wal(sqlite3_db_filename(q->db, "main"));
		const char *slash = strrchr(wal_path, '/'); /* SQLite gives the full path */
		if (!slash || (size_t)(slash - wal_path) >= sizeof(dir))
			return SQLITE_IOERR_DIR_FSYNC;
		size_t n = slash == wal_path ? 1 : (size_t)(slash - wal_path);
		memcpy(dir, wal_path, n);
		dir[n] = '\0';
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int rc = dfd >= 0 && fsync(dfd) == 0 ? SQLITE_OK : SQLITE_IOERR_DIR_FSYNC;
		if (dfd >= 0)
			close(dfd);
		if (rc != SQLITE_OK)
			om_error("store-sync", "errno=%d reason=wal-directory-fsync-failed", errno);
		return rc;
	}
	return SQLITE_OK;
}

/*
 * After a transaction ends: wait until the -wal is synced past it. A durable
 * commit takes the next number and waits for it; a lazy commit or a rollback
 * waits for every durable commit written before it ended (it may have read
 * one: nothing it answers may rest on a commit a power cut could undo). The
 * first thread to find no sync running syncs the -wal (wal_sync) for every
 * commit written until then; the others wait for that
 * sync, and one whose commit came after it started syncs next. While it
 * waits, a thread lets go of the lock it named with om_store_sync_unlocks
 * (its handle is between transactions then) and takes it back before
 * returning. A failed sync is fatal, as in PostgreSQL: the commit is
 * visible and the kernel may have dropped the pages it could not write, so
 * a retried fdatasync could succeed without them (docs/store.md).
 */
static void group_flush(struct sq_store *q, int durable)
{
	struct wal_group *g = q->group;
	sqlite3_file *wal = NULL;
	if (!g || sqlite3_file_control(q->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || !wal ||
	    !wal->pMethods)
		return; /* no -wal open: the transaction wrote nothing */
	pthread_mutex_t *held = sync_unlocks;
	pthread_mutex_lock(&g->mu);
	uint64_t mine = durable ? ++g->written : g->written;
	if (g->flushed >= mine) {
		pthread_mutex_unlock(&g->mu);
		return;
	}
	q->waiting++;
	if (held)
		pthread_mutex_unlock(held); /* order: held, then g->mu; letting go never blocks */
	while (g->flushed < mine) {
		if (g->flushing) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		g->flushing = 1;
		uint64_t upto = g->written;
		pthread_mutex_unlock(&g->mu);
		int rc = wal_sync(q, g, wal);
		if (rc != SQLITE_OK) {
			om_error("store-sync", "file=%s rc=%d reason=wal-sync-failed", sqlite3_db_filename(q->db, "main"),
				 rc);
			abort();
		}
		pthread_mutex_lock(&g->mu);
		g->flushing = 0;
		g->syncs++;
		if (upto > g->flushed)
			g->flushed = upto;
		pthread_cond_broadcast(&g->cv);
	}
	q->waiting--;
	pthread_cond_broadcast(&g->cv); /* sq_close may wait for the last waiter */
	pthread_mutex_unlock(&g->mu);
	if (held)
		pthread_mutex_lock(held);
}

static int sq_begin(struct om_store *s, enum om_store_durability d)
{
	struct sq_store *q = (struct sq_store *)s;
	q->durable = d == OM_STORE_DURABLE;
	return txn_step(q, SQ_BEGIN);
}

static int sq_commit(struct om_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	int rc = txn_step(q, SQ_COMMIT);
	if (rc < 0) {
		if (!sqlite3_get_autocommit(q->db))
			txn_step(q, SQ_ROLLBACK);
		return rc;
	}
	group_flush(q, q->durable);
	return 0;
}

static int sq_rollback(struct om_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	if (sqlite3_get_autocommit(q->db))
		return 0;
	int rc = txn_step(q, SQ_ROLLBACK);
	group_flush(q, 0);
	return rc;
}

static int sq_user_version(struct om_store *s, int *out)
{
	char buf[32];
	int rc = pragma_text(db_of(s), "PRAGMA user_version", buf, sizeof(buf));
	if (rc == 0)
		*out = atoi(buf);
	return rc;
}

static int sq_set_user_version(struct om_store *s, int v)
{
	/* PRAGMA takes no binds; v is an int we format ourselves, never input text. */
	char sql[48];
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
	return sq_exec(s, sql);
}

static const char *sq_errmsg(struct om_store *s)
{
	return sqlite3_errmsg(db_of(s));
}

static long sq_changes(struct om_store *s)
{
	return (long)sqlite3_changes(db_of(s));
}

static const struct om_store_ops sq_ops;

static int sq_prepare(struct om_store *s, const char *sql, struct om_stmt **out)
{
	struct sq_stmt *p = calloc(1, sizeof(*p));
	if (!p)
		return OM_ENOMEM;
	int rc = map_rc(sqlite3_prepare_v2(db_of(s), sql, -1, &p->st, NULL));
	if (rc < 0) {
		sqlite3_finalize(p->st);
		free(p);
		return rc;
	}
	p->base.ops = &sq_ops;
	p->base.store = s;
	*out = &p->base;
	return 0;
}

static sqlite3_stmt *st_of(struct om_stmt *st)
{
	return ((struct sq_stmt *)st)->st;
}

static int sq_bind_int64(struct om_stmt *st, int idx, int64_t v)
{
	return map_rc(sqlite3_bind_int64(st_of(st), idx, v));
}

static int sq_bind_text(struct om_stmt *st, int idx, const char *v)
{
	return map_rc(sqlite3_bind_text(st_of(st), idx, v, -1, SQLITE_TRANSIENT));
}

static int sq_bind_blob(struct om_stmt *st, int idx, const void *v, size_t len)
{
	if (len > 0x7fffffff)
		return OM_EINVAL;
	return map_rc(sqlite3_bind_blob(st_of(st), idx, v, (int)len, SQLITE_TRANSIENT));
}

static int sq_bind_null(struct om_stmt *st, int idx)
{
	return map_rc(sqlite3_bind_null(st_of(st), idx));
}

static int sq_step(struct om_stmt *st)
{
	return map_rc(sqlite3_step(st_of(st)));
}

static int sq_reset(struct om_stmt *st)
{
	sqlite3_clear_bindings(st_of(st));
	return map_rc(sqlite3_reset(st_of(st)));
}

static void sq_finalize(struct om_stmt *st)
{
	sqlite3_finalize(st_of(st));
	free(st);
}

static int64_t sq_col_int64(struct om_stmt *st, int col)
{
	return sqlite3_column_int64(st_of(st), col);
}

static const char *sq_col_text(struct om_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st_of(st), col);
	return t ? (const char *)t : "";
}

static const void *sq_col_blob(struct om_stmt *st, int col, size_t *len)
{
	const void *b = sqlite3_column_blob(st_of(st), col);
	*len = b ? (size_t)sqlite3_column_bytes(st_of(st), col) : 0;
	return b;
}

static int sq_col_is_null(struct om_stmt *st, int col)
{
	return sqlite3_column_type(st_of(st), col) == SQLITE_NULL;
}

static unsigned sq_reset_busy(struct om_store *s, void (*found)(void *ctx, const char *sql), void *ctx)
{
	unsigned n = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(db_of(s), NULL); st; st = sqlite3_next_stmt(db_of(s), st)) {
		if (!sqlite3_stmt_busy(st))
			continue;
		found(ctx, sqlite3_sql(st));
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		n++;
	}
	return n;
}

static void sq_txn_finalize(struct sq_store *q)
{
	for (int i = 0; i < SQ_N_TXN; i++) {
		sqlite3_finalize(q->txn[i]);
		q->txn[i] = NULL;
	}
}

static void sq_close(struct om_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	if (q->group) { /* a thread that let go of the caller's lock may still be waiting on this handle */
		pthread_mutex_lock(&q->group->mu);
		while (q->waiting)
			pthread_cond_wait(&q->group->cv, &q->group->mu);
		pthread_mutex_unlock(&q->group->mu);
	}
	sq_txn_finalize(q);
	sqlite3_close(q->db);
	group_drop(q->group);
	free(q);
}

static const struct om_store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.user_version = sq_user_version,
	.set_user_version = sq_set_user_version,
	.setting = sq_setting,
	.errmsg = sq_errmsg,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.reset = sq_reset,
	.finalize = sq_finalize,
	.col_int64 = sq_col_int64,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.col_is_null = sq_col_is_null,
	.changes = sq_changes,
	.reset_busy = sq_reset_busy,
};

/* Set a PRAGMA, then read it back and compare: a typo or a refused value is an error. */
static int set_and_check(sqlite3 *db, const char *set_sql, const char *get_sql, const char *want,
			 char *err, size_t err_len)
{
	char got[64] = "";
	int rc = map_rc(sqlite3_exec(db, set_sql, NULL, NULL, NULL));
	if (rc == 0)
		rc = pragma_text(db, get_sql, got, sizeof(got));
	if (rc < 0) {
		snprintf(err, err_len, "%s: %s", set_sql, sqlite3_errmsg(db));
		return rc;
	}
	if (strcmp(got, want)) {
		snprintf(err, err_len, "%s did not take effect: %s reads '%s', want '%s'", set_sql, get_sql,
			 got, want);
		return OM_ESTORE_PRAGMA;
	}
	return 0;
}

int om_store_open_sqlite(const char *path, const struct om_store_sqlite_opts *opts, struct om_store **out,
			 char *err, size_t err_len)
{
	struct sq_store *q = NULL;
	int rc;
	if (!path || !out || !err) {
		if (err && err_len)
			snprintf(err, err_len, "store: NULL argument");
		return OM_EINVAL;
	}
	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, err_len, "store: out of memory");
		return OM_ENOMEM;
	}
	/*
	 * SQLite would create it 0644 less the umask; ":memory:" and "" are not files. Only a file
	 * that does not exist yet is opened here (O_EXCL): closing any descriptor of a database
	 * file drops every POSIX lock this process holds on it, so opening a second handle on an
	 * open database used to cancel the first handle's SHARED lock. Another process's last
	 * close then took it for unused, checkpointed and unlinked the -wal and -shm under the
	 * daemon, which read stale pages from then on and failed with disk I/O errors (SQLite,
	 * "How To Corrupt An SQLite Database File" 2.2; docs/store.md "Busy statements").
	 */
	if (*path && strcmp(path, ":memory:")) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
		if (fd < 0 && errno != EEXIST) {
			snprintf(err, err_len, "%s: %s", path, strerror(errno));
			rc = OM_ESTORE;
			goto out;
		}
		if (fd >= 0)
			close(fd);
	}
	rc = map_rc(sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
				    NULL));
	if (rc < 0) {
		snprintf(err, err_len, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
		goto out;
	}
	unsigned ms = opts && opts->busy_timeout_ms ? opts->busy_timeout_ms : 5000;
	sqlite3_busy_timeout(q->db, (int)ms);
	char want_ms[16];
	snprintf(want_ms, sizeof(want_ms), "%u", ms);
	rc = set_and_check(q->db, "PRAGMA journal_mode=WAL", "PRAGMA journal_mode", "wal", err, err_len);
	if (rc == 0)
		rc = set_and_check(q->db, "PRAGMA synchronous=NORMAL", "PRAGMA synchronous", "1", err, err_len);
	if (rc == 0)
		rc = set_and_check(q->db, "PRAGMA foreign_keys=ON", "PRAGMA foreign_keys", "1", err, err_len);
	if (rc == 0)
		rc = set_and_check(q->db, "SELECT 1", "PRAGMA busy_timeout", want_ms, err, err_len);
	if (rc < 0)
		goto out;
	for (int i = 0; i < SQ_N_TXN; i++)
		if ((rc = map_rc(sqlite3_prepare_v2(q->db, txn_sql[i], -1, &q->txn[i], NULL))) < 0) {
			snprintf(err, err_len, "%s: %s", txn_sql[i], sqlite3_errmsg(q->db));
			goto out;
		}
	if ((rc = group_take(q->db, &q->group)) < 0) {
		snprintf(err, err_len, "%s: %s", path, rc == OM_ENOMEM ? "out of memory" : strerror(errno));
		goto out;
	}
	q->base.ops = &sq_ops;
	q->base.backend = OM_STORE_SQLITE;
	*out = &q->base;
	q = NULL;
out:
	if (q) {
		sq_txn_finalize(q);
		sqlite3_close(q->db);
		free(q);
	}
	return rc;
}
