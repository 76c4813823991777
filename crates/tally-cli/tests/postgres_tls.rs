//! TLS to PostgreSQL (`sslmode`, `sslrootcert` in the database URL) against a real server.
//!
//! The test starts a cluster of its own (initdb and pg_ctl, as scripts/with-postgres does, on
//! a free loopback port in a temp dir) with `ssl = on` and a certificate for `db.tally.test`
//! signed by a CA the test makes with rcgen; its pg_hba accepts TLS connections only
//! (`hostssl`), so whatever connects to it is encrypted. Then:
//!
//! - `tally serve` with `sslmode=verify-full` and the right CA connects (by the certificate's
//!   name, `hostaddr=127.0.0.1`), a grant and a charge work, and `tally verify` takes the
//!   same URL;
//! - with another CA, `verify-full` and `verify-ca` refuse, saying the certificate is not
//!   signed by that CA; by a name the certificate does not list, `verify-full` refuses saying
//!   so, and `verify-ca` (which checks no name) connects;
//! - `require` connects without a CA (libpq's rule: encrypted, not verified); a URL without
//!   `sslmode` does not use TLS (the server's `hostssl` refuses it);
//! - against scripts/with-postgres's cluster (ssl off), `require` is refused, saying the
//!   server does not accept TLS;
//! - `sslrootcert=system` (libpq 16's: the system's CAs, and `verify-full`) refuses the
//!   server, whose CA no system trusts, saying so; with the test's CA as the system's
//!   (`SSL_CERT_FILE`, read by `tally verify` in a process of its own) it connects, by the
//!   certificate's name only.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ServeOptions, Server, TempDir, run_verify_postgres, test_server_url};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::json;
use tally_postgres::PostgresStore;

/// The name the server's certificate is made for.
const SERVER_NAME: &str = "db.tally.test";

/// The directory with initdb and pg_ctl: scripts/with-postgres's, else PATH's, else Debian's.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("TALLY_TEST_PG_BIN")
        && !dir.is_empty()
    {
        return PathBuf::from(dir);
    }
    let on_path = std::env::var("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&on_path) {
        if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
            return dir;
        }
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("bin"))
                .filter(|dir| dir.join("initdb").is_file())
                .collect()
        })
        .unwrap_or_default();
    debian.sort();
    debian.pop().unwrap_or_else(|| {
        panic!("no initdb: run this test through scripts/with-postgres, which installs PostgreSQL")
    })
}

fn is_root() -> bool {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .expect("running id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A cluster of the test's own, stopped when it drops.
struct TlsCluster {
    dir: TempDir,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
}

impl TlsCluster {
    /// The command run as the cluster's owner (`postgres` when the test runs as root, since
    /// PostgreSQL refuses to run as root).
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.arg("-u").arg("postgres").arg("--").arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(server_cert: &str, server_key: &str) -> TlsCluster {
        let dir = TempDir::new("pg-tls");
        let as_postgres = is_root();
        let mut cluster = TlsCluster {
            dir,
            bin: bin_dir(),
            as_postgres,
            port: 0,
        };
        if as_postgres {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(cluster.dir.path())
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "chown postgres on the cluster's directory"
            );
        }
        let output = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .output()
            .expect("running initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let data = cluster.data();
        std::fs::write(data.join("server.crt"), server_cert).expect("writing server.crt");
        std::fs::write(data.join("server.key"), server_key).expect("writing server.key");
        if as_postgres {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(data.join("server.crt"))
                .arg(data.join("server.key"))
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let status = Command::new("chmod")
            .arg("600")
            .arg(data.join("server.key"))
            .status()
            .expect("chmod");
        assert!(status.success());
        std::fs::write(
            data.join("pg_hba.conf"),
            "# TLS only, on the IPv4 loopback address.\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .expect("writing pg_hba.conf");
        let conf = std::fs::read_to_string(data.join("postgresql.conf")).expect("postgresql.conf");
        // A free port (one the OS just gave out), tried again if the server cannot bind it.
        for _ in 0..8 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port")
                .port();
            std::fs::write(
                data.join("postgresql.conf"),
                format!(
                    "{conf}\n# postgres_tls.rs\nlisten_addresses = '127.0.0.1'\nport = {port}\n\
                     unix_socket_directories = ''\nmax_connections = 40\nssl = on\n\
                     ssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                ),
            )
            .expect("writing postgresql.conf");
            let started = cluster
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(cluster.dir.path().join("postgres.log"))
                .args(["-w", "-t", "60", "start"])
                .output()
                .expect("running pg_ctl start");
            if started.status.success() {
                cluster.port = port;
                return cluster;
            }
        }
        let log =
            std::fs::read_to_string(cluster.dir.path().join("postgres.log")).unwrap_or_default();
        panic!("the TLS cluster did not start:\n{log}");
    }

    /// A URL to this cluster by `host` (resolved to nothing: the address is `hostaddr`).
    fn url(&self, host: &str, options: &str) -> String {
        let query = if options.is_empty() {
            String::new()
        } else {
            format!("&{options}")
        };
        format!(
            "postgres://postgres@{host}:{}/postgres?hostaddr=127.0.0.1{query}",
            self.port
        )
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let _ = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

/// A CA: its certificate (PEM) and the issuer that signs with it.
fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("a CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let certificate = params.self_signed(&key).expect("the CA's certificate");
    (certificate.pem(), Issuer::new(params, key))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing a PEM file");
    path.display().to_string()
}

/// `tally verify --database-url url` with the system's trusted CAs in `ca_file` (what
/// `SSL_CERT_FILE` names replaces the operating system's store): whether it succeeded, and
/// what it printed.
fn verify_trusting(url: &str, ca_file: &str) -> (bool, String) {
    let output = Command::new(common::tally_bin())
        .arg("verify")
        .arg("--database-url")
        .arg(url)
        .env_remove("TALLY_DB")
        .env_remove("TALLY_DATABASE_URL")
        .env_remove("SSL_CERT_DIR")
        .env("SSL_CERT_FILE", ca_file)
        .output()
        .expect("running `tally verify --database-url`");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The error `PostgresStore::open` gives for `url`.
fn refusal(url: &str) -> String {
    match PostgresStore::open(url) {
        Ok(_) => panic!("{url} connected, but should have been refused"),
        Err(error) => {
            let error = error.to_string();
            eprintln!("refused, as it should be: {error}");
            error
        }
    }
}

#[test]
fn tls_to_postgres_verifies_what_sslmode_says() {
    let (ca_pem, ca) = certificate_authority("tally test CA");
    let (other_ca_pem, _) = certificate_authority("another CA");
    let server_key = KeyPair::generate().expect("the server's key");
    let server_cert = CertificateParams::new(vec![SERVER_NAME.to_string()])
        .expect("server params")
        .signed_by(&server_key, &ca)
        .expect("the server's certificate");
    let cluster = TlsCluster::start(&server_cert.pem(), &server_key.serialize_pem());
    let files = TempDir::new("pg-tls-ca");
    let ca_file = write(files.path(), "ca.pem", &ca_pem);
    let other_ca_file = write(files.path(), "other-ca.pem", &other_ca_pem);

    // verify-full with the right CA: `tally serve` connects, and a charge works.
    let url = cluster.url(
        SERVER_NAME,
        &format!("sslmode=verify-full&sslrootcert={ca_file}"),
    );
    let log = files.path().join("serve.log");
    let mut server = Server::start_postgres(&url, &log, &ServeOptions::default());
    let admin = server.admin();
    admin.post("/v1/accounts", json!({"id": "tls"})).expect(201);
    admin
        .post("/v1/accounts/tls/grants", json!({"amount": 100}))
        .expect(201);
    let charge = admin
        .post("/v1/accounts/tls/charges", json!({"amount": 30}))
        .expect(201);
    assert_eq!(charge.body["amount"], json!(30));
    let balance = admin.get("/v1/accounts/tls/balance").expect(200);
    assert_eq!(balance.body["available"], json!(70));
    server.stop();
    let (verified, output) = run_verify_postgres(&url);
    assert!(verified, "tally verify over verify-full: {output}");

    // Another CA: refused, saying which check failed.
    for mode in ["verify-full", "verify-ca"] {
        let error = refusal(&cluster.url(
            SERVER_NAME,
            &format!("sslmode={mode}&sslrootcert={other_ca_file}"),
        ));
        assert!(
            error.contains("not signed by the CA in sslrootcert=")
                && error.contains(&other_ca_file)
                && error.contains(&format!("sslmode={mode} refuses it")),
            "{mode} with another CA: {error}"
        );
    }

    // A name the certificate does not list: verify-full refuses, verify-ca does not check.
    let error = refusal(&cluster.url(
        "other.tally.test",
        &format!("sslmode=verify-full&sslrootcert={ca_file}"),
    ));
    assert!(
        error.contains("not valid for the host name") && error.contains("verify-full"),
        "verify-full by another name: {error}"
    );
    PostgresStore::open(&cluster.url(
        "other.tally.test",
        &format!("sslmode=verify-ca&sslrootcert={ca_file}"),
    ))
    .expect("verify-ca checks the chain, not the name");

    // require: encrypted, no certificate checked (the pg_hba accepts TLS only).
    PostgresStore::open(&cluster.url("other.tally.test", "sslmode=require"))
        .expect("require connects without a CA");
    // No sslmode: no TLS, as before (so this TLS-only server refuses it).
    let error = refusal(&cluster.url(SERVER_NAME, ""));
    assert!(
        error.contains("no encryption") || error.contains("pg_hba.conf"),
        "without sslmode: {error}"
    );

    // sslrootcert=system: the system's CAs (none of which signed the test's CA), verify-full.
    let system = cluster.url(SERVER_NAME, "sslrootcert=system");
    let error = refusal(&system);
    assert!(
        error.contains("sslrootcert=system")
            && (error.contains("not signed by a CA the system trusts")
                || error.contains("no trusted CA certificate was found")),
        "sslrootcert=system against a CA no system trusts: {error}"
    );
    // The same with the test's CA as the system's: it connects, by the certificate's name
    // only (verify-full), and refuses another CA as the system's, saying so.
    let (verified, output) = verify_trusting(&system, &ca_file);
    assert!(
        verified,
        "sslrootcert=system trusting the test's CA: {output}"
    );
    let (verified, output) = verify_trusting(&system, &other_ca_file);
    assert!(
        !verified
            && output.contains("not signed by a CA the system trusts (sslrootcert=system)")
            && output.contains("sslmode=verify-full refuses it"),
        "sslrootcert=system trusting another CA: {output}"
    );
    let (verified, output) = verify_trusting(
        &cluster.url("other.tally.test", "sslrootcert=system"),
        &ca_file,
    );
    assert!(
        !verified && output.contains("not valid for the host name"),
        "sslrootcert=system by a name the certificate does not list: {output}"
    );

    // require against a server with ssl off (scripts/with-postgres's): refused.
    let plain = test_server_url();
    let separator = if plain.contains('?') { '&' } else { '?' };
    let error = refusal(&format!("{plain}{separator}sslmode=require"));
    assert!(
        error.contains("the server does not accept TLS connections")
            && error.contains("sslmode=require"),
        "require against a server without TLS: {error}"
    );
}
