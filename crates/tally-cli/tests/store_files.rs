//! End to end: the SQLite file itself. `tally serve` and `tally verify` refuse a file that is
//! not SQLite, another program's database, a store written by a newer schema, and a store
//! with a damaged page, saying what and where, and leave the file byte for byte as it was;
//! `tally backup` copies a store while it serves, the copy verifies, and a server restored
//! from it has every operation acknowledged before the backup began.

mod common;

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use serde_json::json;

/// Runs `tally serve` on `db` and returns its stderr, asserting it refused to start: it ends
/// without ever listening (a server that listens is killed and the test fails).
#[track_caller]
fn serve_refuses(db: &Path) -> String {
    let mut child = Command::new(tally_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-key", "k"])
        .arg("--db")
        .arg(db)
        .env_remove("TALLY_DB")
        .env_remove("TALLY_ADMIN_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning `tally serve`");
    let stdout = child.stdout.take().expect("stdout");
    let mut listened = false;
    for line in BufReader::new(stdout).lines() {
        if line.expect("a line").contains("listening on") {
            listened = true;
            let _ = child.kill();
            break;
        }
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("reading stderr");
    let status = child.wait().expect("waiting for `tally serve`");
    assert!(
        !listened,
        "`tally serve` served {}:\n{stderr}",
        db.display()
    );
    assert!(!status.success(), "`tally serve` exited 0:\n{stderr}");
    stderr
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("reading the file")
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = TempDir::new("notsqlite");
    let db = dir.path().join("notes.db");
    std::fs::write(&db, "these are my notes, not a database\n".repeat(200)).unwrap();
    let before = bytes(&db);
    let refused = serve_refuses(&db);
    assert!(refused.contains("not an SQLite database"), "{refused}");
    assert!(refused.contains("notes.db"), "{refused}");
    let (ok, text) = run_verify(&db);
    assert!(!ok && text.contains("not an SQLite database"), "{text}");
    assert_eq!(bytes(&db), before);
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let dir = TempDir::new("foreign");
    let db = dir.path().join("app.db");
    {
        let connection = rusqlite::Connection::open(&db).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
                 INSERT INTO users (email) VALUES ('ada@example.com');",
            )
            .unwrap();
    }
    let before = bytes(&db);
    let refused = serve_refuses(&db);
    assert!(refused.contains("no Tally schema"), "{refused}");
    assert!(refused.contains("users"), "{refused}");
    let (ok, text) = run_verify(&db);
    assert!(!ok && text.contains("no Tally schema"), "{text}");
    assert_eq!(bytes(&db), before, "the foreign file was changed");
    // Another application's id in the header: refused too.
    let other = dir.path().join("other.db");
    {
        let connection = rusqlite::Connection::open(&other).unwrap();
        connection
            .execute_batch("PRAGMA application_id = 1234;")
            .unwrap();
    }
    let refused = serve_refuses(&other);
    assert!(refused.contains("another application"), "{refused}");
}

#[test]
fn a_store_of_a_newer_schema_is_refused() {
    let mut t = Tally::start_sqlite_with(ServeOptions::default());
    create_account(&t.admin(), "acme");
    t.stop();
    {
        let connection = rusqlite::Connection::open(t.db()).unwrap();
        connection
            .execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)",
                [],
            )
            .unwrap();
    }
    let before = bytes(t.db());
    let refused = serve_refuses(t.db());
    assert!(refused.contains("newer Tally"), "{refused}");
    assert!(refused.contains("9999"), "{refused}");
    assert_eq!(bytes(t.db()), before);
}

#[test]
fn a_store_with_a_damaged_page_is_refused_and_verify_says_so() {
    let mut t = Tally::start_sqlite_with(ServeOptions::default());
    let admin = t.admin();
    create_account(&admin, "acme");
    for _ in 0..200 {
        grant(
            &admin,
            "acme",
            json!(10),
            json!({"description": "x".repeat(200)}),
        );
    }
    t.stop();
    let page_size: i64 = {
        let connection = rusqlite::Connection::open(t.db()).unwrap();
        connection
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap()
    };
    // Overwrite the header of the entries table's root page and the next few pages with a
    // pattern no b-tree page has: the damage a torn write or a bad disk block leaves.
    let root: i64 = {
        let connection = rusqlite::Connection::open(t.db()).unwrap();
        connection
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'grants'",
                [],
                |row| row.get(0),
            )
            .unwrap()
    };
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(t.db())
            .unwrap();
        file.seek(SeekFrom::Start(
            u64::try_from((root - 1) * page_size).unwrap(),
        ))
        .unwrap();
        file.write_all(&[0xA5; 64]).unwrap();
        file.sync_all().unwrap();
    }
    let refused = serve_refuses(t.db());
    assert!(refused.contains("tally.db"), "{refused}");
    assert!(
        refused.contains("integrity check failed") || refused.contains("SQLite reports"),
        "{refused}"
    );
    let (ok, text) = run_verify(t.db());
    assert!(!ok, "{text}");
}

#[test]
fn a_backup_taken_while_serving_verifies_and_restores_every_acknowledged_charge() {
    let t = Tally::start_sqlite_with(ServeOptions::default());
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(1_000_000), json!({}));
    let acknowledged = Mutex::new(Vec::<String>::new());
    let backup_started = AtomicBool::new(false);
    let before_backup = Mutex::new(Vec::<String>::new());
    let out = t.dir().join("backup.db");
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let client = t.admin();
            let (acknowledged, stop) = (&acknowledged, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let id = charge(&client, "acme", json!(1)).expect(201).id();
                    acknowledged.lock().unwrap().push(id);
                }
            });
        }
        // Gate on load: the backup starts once some charges were acknowledged.
        while acknowledged.lock().unwrap().len() < 200 {
            std::thread::yield_now();
        }
        *before_backup.lock().unwrap() = acknowledged.lock().unwrap().clone();
        backup_started.store(true, Ordering::SeqCst);
        let output = Command::new(tally_bin())
            .arg("backup")
            .arg("--db")
            .arg(t.db())
            .arg(&out)
            .env_remove("TALLY_DB")
            .output()
            .expect("running `tally backup`");
        let text = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{text}");
        assert!(
            text.contains("ok: every balance equals its entries"),
            "{text}"
        );
        stop.store(true, Ordering::SeqCst);
    });
    assert!(backup_started.load(Ordering::SeqCst));
    // A second backup to the same file is refused (never overwrites).
    let again = Command::new(tally_bin())
        .arg("backup")
        .arg("--db")
        .arg(t.db())
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));

    // Restore: a server on the copy has every charge acknowledged before the backup began.
    let restored_dir = TempDir::new("restored");
    let restored_db = restored_dir.path().join("tally.db");
    std::fs::copy(&out, &restored_db).unwrap();
    let server = Server::start(
        &restored_db,
        &restored_dir.path().join("server.log"),
        &ServeOptions::default(),
    );
    let restored = server.admin();
    let ids: std::collections::HashSet<String> = list_all(&restored, "/v1/accounts/acme/charges")
        .iter()
        .map(|charge| charge["id"].as_str().unwrap().to_string())
        .collect();
    let expected = before_backup.lock().unwrap().clone();
    assert!(expected.len() >= 200);
    for id in &expected {
        assert!(
            ids.contains(id),
            "charge {id} acknowledged before the backup is missing"
        );
    }
    // And nothing the copy has is unknown to the original.
    let all: std::collections::HashSet<String> =
        acknowledged.lock().unwrap().iter().cloned().collect();
    assert!(ids.iter().all(|id| all.contains(id)));
    verify_ok(&restored_db);
}
