//! HTTP registration with 64 concurrent clients against the raw Ed25519
//! verification rate of this machine's two cores, in one run:
//! 1. the raw rate: ed25519-dalek verifying the statements' signatures on
//!    two threads (the work a registration cannot avoid);
//! 2. the ledger service (in process, on loopback) registering 6,000
//!    distinct statements sent by 64 client threads as fast as they are
//!    answered: statements per second (group commit at work);
//! 3. the same service at half that rate (a paced open loop): p50 and p99
//!    latency of a registration, answered once durable.
//!
//! 4. OpenSSL's Ed25519 verification on one core (`openssl speed ed25519`),
//!    the peer issue 24's target is set against: registration at 64 clients
//!    is to reach half of it.
//! 5. Confidential and public ledgers side by side (issue 25: a
//!    confidential ledger's registration costs at most 10% more): a fresh
//!    ledger of each kind, N new statements each, as fast as answered, in
//!    turn, twice.
//! 6. The same with a realistic mix: each fresh ledger first registers 300
//!    facilities (not timed), then takes N evidence seals spread over them
//!    (timed): the VRF label of each facility is computed once, at its
//!    registration, and the index grows by no label after.
//!
//! 7. With `HTTP_REGISTER_ONLY=token` (alone): the log key in a file and in
//!    a SoftHSM2 token side by side (issue 26: at least 80% of the file
//!    key's rate), a fresh ledger and a fresh token key for each run, N new
//!    statements each, three pairs; and the time of one token signature.
//!    Needs Debian's `softhsm2`.
//!
//! Run: `cargo bench --bench http_register` (needs Debian's `openssl`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ed25519_dalek::{SigningKey, Verifier as _};
use triage_ledger::identity::{generate_key, issue_role, issue_root, Certificate, Role, Validity};
use triage_ledger::policy;
use triage_ledger::record::{Record, Registration, Seal};

const CLIENTS: usize = 64;
const N: usize = 6_000;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Registrations of facilities `from..from + n`, signed on two threads.
fn statements(from: usize, n: usize, key: &SigningKey, cert: &Certificate) -> Vec<Vec<u8>> {
    let sign = |r: std::ops::Range<usize>| -> Vec<Vec<u8>> {
        r.map(|i| {
            let reg = Record::Registration(Registration {
                facility: format!("TF-{i:06}"),
                name: format!("Facility {i}"),
                site: "Site".into(),
            });
            policy::sign_statement(&reg, key, cert, now())
                .unwrap()
                .bytes()
                .to_vec()
        })
        .collect()
    };
    let mid = from + n / 2;
    std::thread::scope(|s| {
        let a = s.spawn(|| sign(from..mid));
        let mut b = sign(mid..from + n);
        let mut a = a.join().unwrap();
        a.append(&mut b);
        a
    })
}

/// The realistic mix: registrations of `facilities` facilities, then `n`
/// evidence seals spread over them (signed on two threads).
fn mix(
    facilities: usize,
    n: usize,
    key: &SigningKey,
    cert: &Certificate,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let regs = statements(0, facilities, key, cert);
    let seal = |i: usize| {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let r = Record::Seal(Seal {
            facility: format!("TF-{:06}", i % facilities),
            description: format!("bundle {i}"),
            root: triage_ledger::merkle::Hash::from_bytes(h),
            items: 3,
            manifest_sha256: triage_ledger::merkle::Hash::from_bytes(h),
            addresses: None,
        });
        policy::sign_statement(&r, key, cert, now())
            .unwrap()
            .bytes()
            .to_vec()
    };
    let seals = std::thread::scope(|s| {
        let a = s.spawn(|| (0..n / 2).map(seal).collect::<Vec<_>>());
        let mut b: Vec<Vec<u8>> = (n / 2..n).map(seal).collect();
        let mut a = a.join().unwrap();
        a.append(&mut b);
        a
    });
    (regs, seals)
}

/// Posts `sts` from `CLIENTS` threads, each waiting for `pace` between its
/// sends (none: as fast as answered); returns each latency.
fn load(url: &str, sts: &[Vec<u8>], pace: Option<Duration>) -> Vec<Duration> {
    load_counting(url, sts, pace, &AtomicU64::new(0))
}

/// CPU time (user + system, µs) of the calling thread (`RUSAGE_THREAD`) or
/// of the whole process (`RUSAGE_SELF`).
fn cpu_us(who: libc::c_int) -> u64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    assert_eq!(unsafe { libc::getrusage(who, &mut u) }, 0);
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(u.ru_utime) + us(u.ru_stime)
}

/// [`load`], adding the client threads' own CPU time (µs) to `clients`,
/// so that the service's share of the process's CPU time can be told.
fn load_counting(
    url: &str,
    sts: &[Vec<u8>],
    pace: Option<Duration>,
    clients: &AtomicU64,
) -> Vec<Duration> {
    let next = AtomicUsize::new(0);
    let lat = Mutex::new(Vec::with_capacity(sts.len()));
    std::thread::scope(|s| {
        for c in 0..CLIENTS {
            let (next, lat) = (&next, &lat);
            s.spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                if let Some(p) = pace {
                    std::thread::sleep(p.mul_f64(c as f64 / CLIENTS as f64));
                }
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(st) = sts.get(i) else { break };
                    let t = Instant::now();
                    let r = agent
                        .post(&format!("{url}/entries"))
                        .header("Content-Type", "application/cose")
                        .send(st.as_slice())
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 201);
                    let took = t.elapsed();
                    lat.lock().unwrap().push(took);
                    if let Some(p) = pace {
                        std::thread::sleep(p.saturating_sub(took));
                    }
                }
                clients.fetch_add(cpu_us(libc::RUSAGE_THREAD), Ordering::Relaxed);
            });
        }
    });
    lat.into_inner().unwrap()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let t0 = now() as i64;
    let v = Validity {
        not_before: t0 - 3600,
        not_after: t0 + 86_400,
    };
    let rk = generate_key();
    let root = issue_root("Root", "Scheme", &rk, v).unwrap();
    let key = generate_key();
    let cert = issue_role(
        "Operator",
        "Triage Ltd",
        "NTRGB-00000001",
        Role::Operator,
        &key.verifying_key(),
        &root,
        &rk,
        v,
    )
    .unwrap();
    let only = std::env::var("HTTP_REGISTER_ONLY").unwrap_or_default();
    if only == "token" {
        return token_pairs(&root, &key, &cert);
    }
    if let Some(which) = only.strip_prefix("mix") {
        // Step 6 alone (for a profile): `mix`, `mix-public` or
        // `mix-confidential`.
        let (regs, seals) = mix(300, N, &key, &cert);
        for confidential in [false, true] {
            if which == ["-confidential", "-public"][usize::from(confidential)] {
                continue;
            }
            let run = service_rate(&root, confidential, &regs, &seals);
            println!(
                "realistic mix, confidential {confidential}: {:.0}/s, {:.0} µs CPU each",
                run.rate, run.cpu_us
            );
        }
        return;
    }
    let sts = statements(0, 2 * N, &key, &cert);

    // 1. The raw Ed25519 rate on two cores (signature over the same sizes).
    let msgs: Vec<(Vec<u8>, ed25519_dalek::Signature)> = sts[..N]
        .iter()
        .map(|b| {
            let m = b[..b.len().min(300)].to_vec();
            let sig = ed25519_dalek::Signer::sign(&key, &m);
            (m, sig)
        })
        .collect();
    let vk = key.verifying_key();
    let t = Instant::now();
    std::thread::scope(|s| {
        for half in msgs.chunks(N / 2) {
            let vk = &vk;
            s.spawn(move || {
                for (m, sig) in half {
                    vk.verify(m, sig).unwrap();
                }
            });
        }
    });
    let raw = N as f64 / t.elapsed().as_secs_f64();

    // The service, in process, on loopback.
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    triage_ledger::store::init(&ledger, "bench.example/http").unwrap();
    triage_ledger::store::install_trust_root(&ledger, root.to_pem().as_bytes()).unwrap();
    let (router, committer) = triage_ledger::server::ledger::router(ledger.clone(), 300).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(triage_ledger::server::Bound::bind("127.0.0.1:0", None))
        .unwrap();
    let url = listener.url().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(triage_ledger::server::serve(listener, router, async {
        let _ = stopped.await;
    }));

    // 2. As fast as answered.
    let t = Instant::now();
    let lat = load(&url, &sts[..N], None);
    let rate = N as f64 / t.elapsed().as_secs_f64();

    // 3. At half that rate.
    let pace = Duration::from_secs_f64(CLIENTS as f64 / (rate / 2.0));
    let t = Instant::now();
    let mut paced = load(&url, &sts[N..], Some(pace));
    let offered = N as f64 / t.elapsed().as_secs_f64();
    paced.sort();
    let pct = |v: &[Duration], p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];

    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
    drop(rt);
    committer.join();

    // 5. Public and confidential, in turn, twice.
    let mut side = Vec::new();
    for round in 0..3 {
        for confidential in [false, true] {
            let from = 2 * N + (round * 2 + usize::from(confidential)) * N;
            let fresh = statements(from, N, &key, &cert);
            side.push(service_rate(&root, confidential, &[], &fresh));
        }
    }
    // 6. The realistic mix, in turn, three times.
    let (regs, seals) = mix(300, N, &key, &cert);
    let mut mixed = Vec::new();
    for _ in 0..3 {
        for confidential in [false, true] {
            mixed.push(service_rate(&root, confidential, &regs, &seals));
        }
    }
    let mut lat = lat;
    lat.sort();
    let openssl = openssl_verify_rate();
    println!("raw Ed25519 verification, 2 threads: {raw:.0}/s");
    println!(
        "OpenSSL Ed25519 verification, one core: {openssl:.0}/s; registration at {CLIENTS} clients is {:.2} of it (target 0.5)",
        rate / openssl
    );
    println!(
        "HTTP registration, {CLIENTS} clients, {N} statements: {rate:.0}/s ({:.0}% of the raw rate); latency p50 {:.1?}, p99 {:.1?}",
        100.0 * rate / raw,
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    println!(
        "at half that load ({offered:.0}/s offered): latency p50 {:.1?}, p99 {:.1?}",
        pct(&paced, 0.5),
        pct(&paced, 0.99)
    );
    // What a new facility costs a confidential ledger that a known one
    // does not: its VRF label (computed once per facility).
    let vrf = triage_ledger::vrf::VrfSecretKey::generate();
    let t = Instant::now();
    for i in 0..2000 {
        std::hint::black_box(triage_ledger::commitment::label_only(
            &vrf,
            &format!("TF-{i:06}"),
        ));
    }
    println!(
        "a facility's VRF label: {:.0} µs (mean of 2,000, one thread)",
        t.elapsed().as_secs_f64() * 1e6 / 2000.0
    );
    print_pairs(&format!("side by side, {N} new facilities each"), &side);
    print_pairs(
        &format!("realistic mix, {N} seals over 300 registered facilities"),
        &mixed,
    );
}

/// Registration rate (statements per second, as fast as answered) of a
/// fresh ledger's service, confidential or public, for `sts`, after `pre`
/// (registered first, not timed).
fn service_rate(root: &Certificate, confidential: bool, pre: &[Vec<u8>], sts: &[Vec<u8>]) -> Run {
    service_rate_keyed(root, confidential, None, pre, sts)
}

/// [`service_rate`] with the log key in the token key `token` names.
fn service_rate_keyed(
    root: &Certificate,
    confidential: bool,
    token: Option<&str>,
    pre: &[Vec<u8>],
    sts: &[Vec<u8>],
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    match token {
        Some(uri) => {
            triage_ledger::store::init_with_token(&ledger, "bench.example/http", uri).unwrap();
        }
        None => {
            triage_ledger::store::init(&ledger, "bench.example/http").unwrap();
        }
    }
    triage_ledger::store::install_trust_root(&ledger, root.to_pem().as_bytes()).unwrap();
    if confidential {
        triage_ledger::store::confidential::make_confidential(&ledger, "bench.example/http")
            .unwrap();
    }
    let (router, committer) = triage_ledger::server::ledger::router(ledger.clone(), 300).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(triage_ledger::server::Bound::bind("127.0.0.1:0", None))
        .unwrap();
    let url = listener.url().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(triage_ledger::server::serve(listener, router, async {
        let _ = stopped.await;
    }));
    if !pre.is_empty() {
        load(&url, pre, None);
    }
    let clients = AtomicU64::new(0);
    let cpu0 = cpu_us(libc::RUSAGE_SELF);
    let t = Instant::now();
    load_counting(&url, sts, None, &clients);
    let rate = sts.len() as f64 / t.elapsed().as_secs_f64();
    let server_cpu = cpu_us(libc::RUSAGE_SELF) - cpu0 - clients.load(Ordering::Relaxed);
    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
    drop(rt);
    committer.join();
    Run {
        rate,
        cpu_us: server_cpu as f64 / sts.len() as f64,
    }
}

/// One service run: statements per second, and the service's CPU time per
/// statement (µs: the process's, less the client threads').
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    cpu_us: f64,
}

/// Public and confidential runs side by side, one line each pair.
fn print_pairs(what: &str, runs: &[Run]) {
    for pair in runs.chunks(2) {
        let (p, c) = (pair[0], pair[1]);
        println!(
            "{what}: public {:.0}/s, {:.0} µs CPU each; confidential {:.0}/s, {:.0} µs CPU each: rate {:.0}% of public, CPU {:+.0}% (target: rate at least 90%, cost at most +10%)",
            p.rate,
            p.cpu_us,
            c.rate,
            c.cpu_us,
            100.0 * c.rate / p.rate,
            100.0 * (c.cpu_us / p.cpu_us - 1.0)
        );
    }
}

/// `openssl speed -seconds 3 ed25519`: verifications per second on one core.
fn openssl_verify_rate() -> f64 {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "3", "ed25519"])
        .output()
        .expect("openssl (Debian package openssl) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.contains("EdDSA (Ed25519)"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Ed25519 line in openssl speed's output: {text}"))
}

/// Step 7: the log key in a file and in a SoftHSM2 token, side by side.
fn token_pairs(root: &Certificate, key: &SigningKey, cert: &Certificate) {
    const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    // Set before any thread starts: SoftHSM2 reads its configuration from
    // the environment only.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    std::env::set_var("TRIAGE_LEDGER_PKCS11_PIN", "1234");
    let out = std::process::Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "bench",
            "--so-pin",
            "5678",
            "--pin",
            "1234",
        ])
        .output()
        .expect("softhsm2-util (Debian package softhsm2) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uri = |label: &str| {
        format!("pkcs11:token=bench;object={label};type=private?module-path={MODULE}")
    };
    // One token signature, as the log makes it (checked against the public
    // half each time, as every token signature is).
    triage_ledger::token::generate(&uri("timing")).unwrap();
    let signer =
        triage_ledger::token::TokenSigner::open(&uri("timing"), "bench.example/http").unwrap();
    let t = Instant::now();
    for i in 0..1000u32 {
        triage_ledger::note::Signer::sign(&signer, &i.to_be_bytes()).unwrap();
    }
    let token_sig = t.elapsed().as_secs_f64() * 1e6 / 1000.0;
    // Keeping the high-water mark in the token, as each commit does.
    let note = vec![b'x'; 200];
    let marks = triage_ledger::note::Signer::marks(&signer).expect("a token keeps marks");
    let t = Instant::now();
    let cpu0 = cpu_us(libc::RUSAGE_SELF);
    for _ in 0..200 {
        marks.keep_mark(&note).unwrap();
    }
    let mark_cpu = (cpu_us(libc::RUSAGE_SELF) - cpu0) as f64 / 200.0;
    let token_mark = t.elapsed().as_secs_f64() * 1e6 / 200.0;
    println!("keeping the high-water mark in SoftHSM2: {token_mark:.0} µs, {mark_cpu:.0} µs CPU (mean of 200)");
    let mut runs = Vec::new();
    for round in 0..3 {
        for in_token in [false, true] {
            let from = (round * 2 + usize::from(in_token)) * N;
            let fresh = statements(from, N, key, cert);
            let label = format!("log-{round}");
            if in_token {
                triage_ledger::token::generate(&uri(&label)).unwrap();
            }
            runs.push(service_rate_keyed(
                root,
                false,
                in_token.then(|| uri(&label)).as_deref(),
                &[],
                &fresh,
            ));
        }
    }
    println!("one SoftHSM2 Ed25519 signature (checked): {token_sig:.0} µs (mean of 1,000)");
    for pair in runs.chunks(2) {
        let (f, t) = (pair[0], pair[1]);
        println!(
            "log key in a file {:.0}/s, {:.0} µs CPU each; in SoftHSM2 {:.0}/s, {:.0} µs CPU each: rate {:.0}% of the file key's (target: at least 80%)",
            f.rate,
            f.cpu_us,
            t.rate,
            t.cpu_us,
            100.0 * t.rate / f.rate
        );
    }
}
