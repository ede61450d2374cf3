//! A few large writes per commit for SQLite's write-ahead log, instead of two per page.
//!
//! SQLite hands each log frame to its file layer as two writes, the 24-byte frame header and then
//! the page, so a commit of 55 pages costs the writer 110 `pwrite` calls, each touching one or two
//! pages of the operating system's cache (about a fifth of the writer's time under load, measured
//! in docs/performance.md). This module registers, as the process's default, a thin layer over
//! SQLite's own file layer (its "VFS") that changes one thing, and only inside [`joined`] (the
//! group commit's `COMMIT`): the writes to a write-ahead log file that follow one another in the
//! file are held in memory and handed to the operating system in writes of up to [`MAX_WRITE`]
//! bytes when
//!
//! - the commit frame's page has been written (a frame header whose "database size" field is not
//!   zero marks the commit), so a commit is in the file before SQLite publishes it to readers,
//!   whatever `synchronous` is;
//! - or before anything else is done with the file: a read, a sync, a truncation, asking its size,
//!   closing it, a write elsewhere in it, or when 4 MiB are held.
//!
//! A commit that fails before its commit frame leaves what it held unwritten: [`joined`] drops it
//! (those frames lie past the log's last commit, which readers and recovery ignore; written later,
//! after SQLite released the write lock, they could land on another process's frames). Outside
//! [`joined`], log writes (pages a large transaction spills before its commit, other connections,
//! other processes) go straight through, as every other file (the database, its shared-memory
//! index, temporary files) and every other operation do. What reaches the disk, and in what order
//! relative to each sync, is what SQLite asked for: a sync writes out what is held first, so a
//! commit that SQLite synced (`synchronous = FULL`) is on disk exactly as before.

#![allow(unsafe_code)]

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

use libsqlite3_sys as ffi;

/// The layer's name among SQLite's file layers.
const NAME: &CStr = c"borderpass-log-writes";

/// Most bytes held before they are written without waiting for the commit frame.
const MAX_HELD: usize = 4 << 20;

/// Most bytes handed to SQLite's own layer in one write: it writes at most 128 KiB - 1 per call
/// (`seekAndWriteFd` masks the length with `0x1ffff`).
const MAX_WRITE: usize = 0x1ffff & !0xfff;

/// A log frame's header: page number, database size after a commit (else 0), salts, checksums.
const FRAME_HEADER: usize = 24;

/// A write-ahead log file: SQLite's own file object follows this header in the same allocation.
#[repr(C)]
struct LogFile {
    /// What SQLite sees: points at [`LOG_METHODS`]. Must come first.
    base: ffi::sqlite3_file,
    /// SQLite's own file object for the log.
    inner: *mut ffi::sqlite3_file,
    /// Bytes written by SQLite, not yet handed to the operating system.
    held: Vec<u8>,
    /// Where in the file `held` starts.
    held_at: i64,
    /// The last frame header held is a commit frame's: its page completes the commit.
    commit_frame: bool,
}

/// Bytes before SQLite's own file object, rounded up to its alignment.
const HEADER_SIZE: usize = std::mem::size_of::<LogFile>().div_ceil(8) * 8;

thread_local! {
    /// Set while this thread runs a commit in [`joined`].
    static JOINING: Cell<bool> = const { Cell::new(false) };
    /// The log file that held writes during this thread's current [`joined`] commit.
    static HOLDER: Cell<*mut LogFile> = const { Cell::new(ptr::null_mut()) };
}

/// Runs `commit` (a `COMMIT` on a connection this thread is using) with its log writes joined.
pub fn joined<T>(commit: impl FnOnce() -> T) -> T {
    /// Ends the scope even if `commit` panics.
    struct Scope;
    impl Drop for Scope {
        fn drop(&mut self) {
            JOINING.set(false);
            let holder = HOLDER.replace(ptr::null_mut());
            if !holder.is_null() {
                // SAFETY: HOLDER names a log file this thread's connection wrote during the
                // commit and that is still open (`log_close` clears it); that connection is used
                // by this thread, which is here, so nothing else touches the file.
                let log = unsafe { &mut *holder };
                // A commit that completed wrote everything out; whatever is left belongs to one
                // that failed before its commit frame, and must never reach the file.
                log.forget_held();
            }
        }
    }
    JOINING.set(true);
    let _scope = Scope;
    commit()
}

#[cfg(test)]
thread_local! {
    /// Writes SQLite asked for on log files, and writes made to the operating system for them,
    /// by this thread's connections.
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// This thread's log writes so far: (asked for by SQLite, made to the operating system).
#[cfg(test)]
fn thread_counts() -> (u64, u64) {
    COUNTS.with(Cell::get)
}

/// Counts log writes for the tests; nothing outside them.
#[cfg_attr(not(test), allow(unused_variables))]
fn count(asked: u64, made: u64) {
    #[cfg(test)]
    COUNTS.with(|c| {
        let (a, m) = c.get();
        c.set((a + asked, m + made));
    });
}

/// Registers the layer as SQLite's default for every connection opened afterwards; once per
/// process. An error leaves SQLite's own layer in place (slower, equally safe).
pub fn install() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    // SAFETY: runs once; `register` only reads SQLite's default layer and registers a copy of it
    // that lives for the rest of the process.
    INSTALLED.get_or_init(|| unsafe { register() }).clone()
}

unsafe fn register() -> Result<(), String> {
    // SAFETY: sqlite3_vfs_find initialises SQLite if needed and returns the default layer, which
    // SQLite keeps for the life of the process.
    let own = unsafe { ffi::sqlite3_vfs_find(ptr::null()) };
    if own.is_null() {
        return Err("SQLite has no default file layer".into());
    }
    // SAFETY: `own` is non-null and valid for the life of the process.
    let mut vfs: ffi::sqlite3_vfs = unsafe { *own };
    let own_size = usize::try_from(vfs.szOsFile).map_err(|e| e.to_string())?;
    vfs.szOsFile = c_int::try_from(HEADER_SIZE + own_size).map_err(|e| e.to_string())?;
    vfs.pNext = ptr::null_mut();
    vfs.zName = NAME.as_ptr();
    // The other methods are SQLite's own: they use their `sqlite3_vfs` argument only for its
    // name, path length and app data, which the copy keeps, except that opening needs the
    // original (its app data finds the locking style by name): see `open`.
    vfs.pAppData = own.cast();
    vfs.xOpen = Some(open);
    let vfs = Box::leak(Box::new(vfs));
    // SAFETY: `vfs` lives for the rest of the process.
    match unsafe { ffi::sqlite3_vfs_register(vfs, 1) } {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(format!("registering the log-writes layer failed ({rc})")),
    }
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY (whole function): SQLite passes our own `vfs` and a zeroed allocation of our
    // `szOsFile` bytes for `file`, 8-byte aligned.
    unsafe {
        let own = (*vfs).pAppData.cast::<ffi::sqlite3_vfs>();
        let Some(own_open) = (*own).xOpen else {
            return ffi::SQLITE_ERROR;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            // Not a log: SQLite's own file object takes the allocation, and its own methods.
            return own_open(own, name, file, flags, out_flags);
        }
        let log = file.cast::<LogFile>();
        let inner = file
            .cast::<u8>()
            .add(HEADER_SIZE)
            .cast::<ffi::sqlite3_file>();
        ptr::write(
            log,
            LogFile {
                base: ffi::sqlite3_file {
                    pMethods: ptr::null(),
                },
                inner,
                held: Vec::new(),
                held_at: 0,
                commit_frame: false,
            },
        );
        let rc = own_open(own, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            if let Some(close) = (*inner).pMethods.as_ref().and_then(|m| m.xClose) {
                close(inner);
            }
            ptr::drop_in_place(log);
            // A null `pMethods` tells SQLite not to close what did not open.
            (*file).pMethods = ptr::null();
            return rc;
        }
        (*log).base.pMethods = &LOG_METHODS;
        ffi::SQLITE_OK
    }
}

/// The log file behind SQLite's pointer.
///
/// SAFETY: `file` must have been opened by [`open`] as a log and not yet closed; SQLite uses a
/// file from one thread at a time.
unsafe fn log_file<'a>(file: *mut ffi::sqlite3_file) -> &'a mut LogFile {
    unsafe { &mut *file.cast::<LogFile>() }
}

/// SQLite's own methods for the log.
///
/// SAFETY: as [`log_file`].
unsafe fn own_methods<'a>(log: &LogFile) -> &'a ffi::sqlite3_io_methods {
    unsafe { &*(*log.inner).pMethods }
}

/// One write through SQLite's own layer.
///
/// SAFETY: `data` must hold `amount` readable bytes.
unsafe fn write_through(log: &LogFile, data: *const c_void, amount: c_int, at: i64) -> c_int {
    count(0, 1);
    // SAFETY: `inner` is SQLite's own open file object for the log; the caller vouches for `data`.
    unsafe {
        match own_methods(log).xWrite {
            Some(write) => write(log.inner, data, amount, at),
            None => ffi::SQLITE_IOERR_WRITE,
        }
    }
}

impl LogFile {
    /// Drops what is held, unwritten.
    fn forget_held(&mut self) {
        self.held.clear();
        self.commit_frame = false;
    }
}

/// Hands what is held to the operating system: one write per [`MAX_WRITE`] bytes.
fn flush(log: &mut LogFile) -> c_int {
    let mut rc = ffi::SQLITE_OK;
    let mut at = log.held_at;
    for chunk in log.held.chunks(MAX_WRITE) {
        // SAFETY: `chunk` is at most MAX_WRITE readable bytes, which fits a c_int.
        rc = unsafe { write_through(log, chunk.as_ptr().cast(), chunk.len() as c_int, at) };
        if rc != ffi::SQLITE_OK {
            break;
        }
        at += chunk.len() as i64;
    }
    // Written or failed, it is no longer held: on failure SQLite rolls the transaction back,
    // and a later flush must not write stale frames.
    log.forget_held();
    rc
}

unsafe extern "C" fn log_write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: SQLite passes an open log file and `amount` readable bytes at `data`.
    let (log, bytes) = unsafe {
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        (
            log_file(file),
            std::slice::from_raw_parts(data.cast::<u8>(), len),
        )
    };
    count(1, 0);
    if !JOINING.get() {
        let rc = flush(log);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        // SAFETY: SQLite passes `amount` readable bytes at `data`.
        return unsafe { write_through(log, data, amount, offset) };
    }
    HOLDER.set(ptr::from_mut(log));
    let held_end = log.held_at + log.held.len() as i64;
    if !log.held.is_empty() && (offset != held_end || log.held.len() + bytes.len() > MAX_HELD) {
        let rc = flush(log);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    if log.held.is_empty() {
        log.held_at = offset;
    }
    log.held.extend_from_slice(bytes);
    if bytes.len() == FRAME_HEADER {
        // Bytes 4..8: the database's size in pages after a commit, zero in other frames.
        log.commit_frame = bytes[4..8] != [0, 0, 0, 0];
        ffi::SQLITE_OK
    } else if log.commit_frame {
        // The commit frame's page: the commit is whole, and goes to the file now.
        flush(log)
    } else {
        ffi::SQLITE_OK
    }
}

/// Wraps a method of SQLite's own that must see the file with nothing held.
macro_rules! flushed {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*)) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: SQLite passes an open log file.
            let log = unsafe { log_file(file) };
            let rc = flush(log);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            // SAFETY: `inner` is SQLite's own open file object for the log.
            unsafe {
                match own_methods(log).$method {
                    Some(method) => method(log.inner $(, $arg)*),
                    None => ffi::SQLITE_IOERR,
                }
            }
        }
    };
}

/// Wraps a method of SQLite's own that does not touch the file's bytes.
macro_rules! passed {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> $ret {
            // SAFETY: SQLite passes an open log file; `inner` is SQLite's own object for it.
            unsafe {
                let log = log_file(file);
                match own_methods(log).$method {
                    Some(method) => method(log.inner $(, $arg)*),
                    None => $missing,
                }
            }
        }
    };
}

flushed!(log_read, xRead, (data: *mut c_void, amount: c_int, offset: ffi::sqlite3_int64));
flushed!(log_truncate, xTruncate, (size: ffi::sqlite3_int64));
flushed!(log_sync, xSync, (flags: c_int));
flushed!(log_file_size, xFileSize, (size: *mut ffi::sqlite3_int64));
passed!(log_lock, xLock, (level: c_int) -> c_int, ffi::SQLITE_OK);
passed!(log_unlock, xUnlock, (level: c_int) -> c_int, ffi::SQLITE_OK);
passed!(log_reserved, xCheckReservedLock, (out: *mut c_int) -> c_int, ffi::SQLITE_OK);
passed!(log_control, xFileControl, (op: c_int, arg: *mut c_void) -> c_int, ffi::SQLITE_NOTFOUND);
passed!(log_sector_size, xSectorSize, () -> c_int, 4096);
passed!(log_device, xDeviceCharacteristics, () -> c_int, 0);
passed!(log_shm_map, xShmMap, (page: c_int, size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int, ffi::SQLITE_IOERR);
passed!(log_shm_lock, xShmLock, (offset: c_int, n: c_int, flags: c_int) -> c_int, ffi::SQLITE_IOERR);
passed!(log_shm_barrier, xShmBarrier, () -> (), ());
passed!(log_shm_unmap, xShmUnmap, (delete: c_int) -> c_int, ffi::SQLITE_OK);
passed!(log_fetch, xFetch, (offset: ffi::sqlite3_int64, amount: c_int, out: *mut *mut c_void) -> c_int, ffi::SQLITE_OK);
passed!(log_unfetch, xUnfetch, (offset: ffi::sqlite3_int64, page: *mut c_void) -> c_int, ffi::SQLITE_OK);

unsafe extern "C" fn log_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite passes an open log file and closes it once; after this nothing uses it.
    unsafe {
        let log = log_file(file);
        if HOLDER.get() == ptr::from_mut(log) {
            HOLDER.set(ptr::null_mut());
        }
        let flushed = flush(log);
        let closed = match own_methods(log).xClose {
            Some(close) => close(log.inner),
            None => ffi::SQLITE_OK,
        };
        ptr::drop_in_place(ptr::from_mut(log));
        if flushed == ffi::SQLITE_OK {
            closed
        } else {
            flushed
        }
    }
}

static LOG_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(log_close),
    xRead: Some(log_read),
    xWrite: Some(log_write),
    xTruncate: Some(log_truncate),
    xSync: Some(log_sync),
    xFileSize: Some(log_file_size),
    xLock: Some(log_lock),
    xUnlock: Some(log_unlock),
    xCheckReservedLock: Some(log_reserved),
    xFileControl: Some(log_control),
    xSectorSize: Some(log_sector_size),
    xDeviceCharacteristics: Some(log_device),
    xShmMap: Some(log_shm_map),
    xShmLock: Some(log_shm_lock),
    xShmBarrier: Some(log_shm_barrier),
    xShmUnmap: Some(log_shm_unmap),
    xFetch: Some(log_fetch),
    xUnfetch: Some(log_unfetch),
};

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::{install, joined, thread_counts};

    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn number(conn: &mut SqliteConnection, sql: &str) -> i64 {
        diesel::sql_query(sql)
            .get_result::<Number>(conn)
            .expect("query")
            .n
    }

    fn open(path: &std::path::Path, synchronous: &str) -> SqliteConnection {
        install().expect("layer installed");
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open");
        conn.batch_execute(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA wal_autocheckpoint = 0;"
        ))
        .expect("pragmas");
        conn
    }

    /// A new database in a temporary directory with table `t (id, v BLOB)`, and its writer.
    fn fresh(synchronous: &str) -> (tempfile::TempDir, std::path::PathBuf, SqliteConnection) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.db");
        let mut writer = open(&path, synchronous);
        writer
            .batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .expect("table");
        (dir, path, writer)
    }

    /// Inside `joined`, a commit of many pages reaches the operating system in a few large writes,
    /// and every row of it is there for another connection and after reopening, with the database
    /// intact; outside it, each write SQLite asks for is made as asked.
    #[test]
    fn a_commit_is_a_few_writes_and_is_all_there() {
        let (_dir, path, mut writer) = fresh("FULL");
        let (asked, made) = thread_counts();
        writer
            .batch_execute(
                "BEGIN; \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
                 INSERT INTO t (id, v) SELECT i, randomblob(1000) FROM n;",
            )
            .expect("insert");
        joined(|| writer.batch_execute("COMMIT")).expect("commit");
        let (asked, made) = (thread_counts().0 - asked, thread_counts().1 - made);
        // 300 rows of 1 KB: about 75 pages, each a header and a page; about 310 KB in all, in
        // writes of at most MAX_WRITE bytes.
        assert!(asked >= 150, "SQLite asked for {asked} writes");
        assert!(
            (1..=4).contains(&made),
            "{asked} writes asked for, {made} made"
        );
        let (asked, made) = thread_counts();
        writer
            .batch_execute("INSERT INTO t (id, v) VALUES (301, randomblob(1000))")
            .expect("insert outside");
        let (asked, made) = (thread_counts().0 - asked, thread_counts().1 - made);
        assert!(asked >= 2, "SQLite asked for {asked} writes");
        assert_eq!(asked, made, "outside `joined` every write goes through");

        let mut reader = open(&path, "FULL");
        assert_eq!(number(&mut reader, "SELECT count(*) AS n FROM t"), 301);
        assert_eq!(
            number(&mut reader, "SELECT sum(length(v)) AS n FROM t"),
            301_000
        );
        drop(reader);
        drop(writer);
        let mut again = open(&path, "FULL");
        assert_eq!(number(&mut again, "SELECT count(*) AS n FROM t"), 301);
        let check: Vec<String> = diesel::sql_query("PRAGMA integrity_check")
            .load::<Check>(&mut again)
            .expect("integrity_check")
            .into_iter()
            .map(|c| c.integrity_check)
            .collect();
        assert_eq!(check, ["ok"]);
    }

    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }

    /// Without a sync at commit (`synchronous = OFF`) the commit is still written before SQLite
    /// shows it to readers: another connection reads each commit whole, at once.
    #[test]
    fn a_commit_is_in_the_file_before_readers_see_it_even_unsynced() {
        let (_dir, path, mut writer) = fresh("OFF");
        let mut reader = open(&path, "OFF");
        for round in 1..=20_i64 {
            writer
                .batch_execute(&format!(
                    "BEGIN; \
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) \
                     INSERT INTO t (id, v) SELECT {round} * 100 + i, zeroblob(3000) FROM n"
                ))
                .expect("insert");
            joined(|| writer.batch_execute("COMMIT")).expect("commit");
            assert_eq!(
                number(&mut reader, "SELECT count(*) AS n FROM t"),
                round * 10
            );
            assert_eq!(
                number(&mut reader, "SELECT sum(length(v)) AS n FROM t"),
                round * 30_000
            );
        }
    }

    /// A transaction larger than SQLite's page cache spills pages to the log before its commit
    /// (straight through) and reads them back; at the commit SQLite rewrites in place the frames of
    /// spilled pages it changed again and appends the rest: what is held must go out before each
    /// write elsewhere in the file.
    #[test]
    fn a_transaction_that_spills_commits_whole() {
        let (_dir, path, mut writer) = fresh("FULL");
        writer
            .batch_execute(
                "PRAGMA cache_size = 10; \
                 BEGIN; \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
                 INSERT INTO t (id, v) SELECT i, randomblob(500) FROM n; \
                 UPDATE t SET v = zeroblob(600) WHERE id % 3 = 0;",
            )
            .expect("writes");
        joined(|| writer.batch_execute("COMMIT")).expect("commit");
        assert_eq!(
            number(&mut writer, "SELECT sum(length(v)) AS n FROM t"),
            1334 * 500 + 666 * 600
        );
        let mut reader = open(&path, "FULL");
        assert_eq!(
            number(&mut reader, "SELECT sum(length(v)) AS n FROM t"),
            1334 * 500 + 666 * 600
        );
    }
}
