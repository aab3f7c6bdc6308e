//! `pagewalk serve`: the web app (the Trunk build's folder, read from disk), and an API that
//! runs the scenario on screen on this machine's real /dev/kvm.
//!
//! It runs guest code on the learner's machine, so every API call is checked before any KVM
//! work: the `Host` header must name the address served (against DNS rebinding), an `Origin`
//! header must be this server's, the random token printed with the URL must come with the
//! request; the body is at most the scenario limit (1 MiB), the scenario is checked by the same
//! parser as everywhere else, one KVM run happens at a time, and each run has the guest
//! watchdog and a wall-clock limit. A request never changes host settings: a scenario that
//! needs a hugetlb pool gets the command that fills it, one that swaps or drives KSM is sent
//! to `pagewalk kvm run` in a terminal.

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pagewalk_kvm::KvmError;
use pagewalk_scenario::model::Op;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The largest scenario a request may carry: the file limit of every other reader.
pub const MAX_BODY: usize = 1 << 20;

/// How long one KVM run may take, all in (the guest's own watchdog stops it sooner).
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The `file` of every reply to a run: the app reads a reply as one element of what
/// `pagewalk kvm run --json` prints, where each element names its file (a reply without one,
/// a scenario that could not run, was shown as "element 1 has no file").
const ON_SCREEN: &str = "the scenario on screen";

/// What `pagewalk serve` was asked for.
pub struct Options {
    /// The address to listen on.
    pub bind: IpAddr,
    /// The port (0: any free one).
    pub port: u16,
    /// Listening on a non-loopback address is allowed.
    pub allow_remote: bool,
    /// The built web app.
    pub dir: PathBuf,
}

struct App {
    token: String,
    /// `Host` values a request may carry.
    hosts: Vec<String>,
    /// `Origin` values a request may carry.
    origins: Vec<String>,
    /// One KVM run at a time.
    runs: Arc<Semaphore>,
}

fn random_token() -> Result<String> {
    let mut b = [0u8; 16];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("reading /dev/urandom for the API token")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Serves until Ctrl-C. Returns the exit status.
pub fn serve(o: Options) -> Result<u8> {
    if !o.dir.join("index.html").is_file() {
        bail!(
            "{} has no index.html: the web app is not built there. Build it with `trunk build --release` (bash scripts/serve.sh builds and serves it), or pass --dir",
            o.dir.display()
        );
    }
    if !o.bind.is_loopback() {
        if !o.allow_remote {
            bail!(
                "refusing to listen on {}: the API runs guest code on this machine. Use 127.0.0.1, or pass --allow-remote if every machine that can reach this address is trusted",
                o.bind
            );
        }
        eprintln!(
            "pagewalk: warning: listening on {} with --allow-remote: anyone who can reach it and has the token can run guest code here",
            o.bind
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    rt.block_on(run(o))
}

async fn run(o: Options) -> Result<u8> {
    let listener = match tokio::net::TcpListener::bind(SocketAddr::new(o.bind, o.port)).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "port {} on {} is taken: pass --port with another port, or --port 0 for any free one",
            o.port,
            o.bind
        ),
        Err(e) => return Err(e).with_context(|| format!("listening on {}:{}", o.bind, o.port)),
    };
    let addr = listener.local_addr()?;
    let token = random_token()?;
    let port = addr.port();
    let mut hosts = vec![SocketAddr::new(o.bind, port).to_string()];
    if o.bind.is_loopback() {
        hosts.push(format!("localhost:{port}"));
    }
    let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
    let app = Arc::new(App {
        token: token.clone(),
        hosts,
        origins,
        runs: Arc::new(Semaphore::new(1)),
    });
    let router = Router::new()
        .route("/api/kvm", get(status))
        .route("/api/kvm/run", post(run_scenario))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
        .fallback_service(tower_http::services::ServeDir::new(&o.dir));
    let shown = if o.bind.is_unspecified() {
        SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port)
    } else {
        addr
    };
    // Written, not printed: a closed stdout (the reader went away) must not stop the server.
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "pagewalk is at http://{shown}/?token={token}");
    let _ = writeln!(
        out,
        "  (the web app from {}; Ctrl-C stops it)",
        o.dir.display()
    );
    let _ = out.flush();
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")?;
    Ok(0)
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({ "error": why }))).into_response()
}

/// The checks every API call passes before any work: `Host`, `Origin`, token. The refusal
/// says which failed.
fn check(app: &App, headers: &HeaderMap) -> Result<(), &'static str> {
    let host = headers.get("host").and_then(|v| v.to_str().ok());
    if !host.is_some_and(|h| app.hosts.iter().any(|a| a == h)) {
        return Err("the Host header is not the address this server listens on");
    }
    if let Some(origin) = headers.get("origin") {
        let ok = origin
            .to_str()
            .is_ok_and(|o| app.origins.iter().any(|a| a == o));
        if !ok {
            return Err("requests from other origins are refused");
        }
    }
    let token = headers
        .get("x-pagewalk-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(app.token.as_str()) {
        return Err("a missing or wrong token: open the URL `pagewalk serve` printed");
    }
    Ok(())
}

/// Whether KVM can be used here, and which kind.
async fn status(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(why) = check(&app, &headers) {
        return refuse(StatusCode::FORBIDDEN, why);
    }
    match pagewalk_kvm::host::probe_kvm() {
        Ok(_) => {
            let mode = pagewalk_kvm::host::report(None).mode;
            Json(json!({
                "available": true,
                "host_mode": if mode == pagewalk_kvm::host::HostMode::Tdp { "tdp" } else { "shadow" },
            }))
            .into_response()
        }
        Err(e) => Json(json!({ "available": false, "why": format!("KVM is unavailable: {e}") }))
            .into_response(),
    }
}

/// Runs the scenario in the body (TOML) on KVM: the comparison as `pagewalk kvm run --json`
/// gives it, the editor's diagnostics for an invalid file, or why it cannot run.
async fn run_scenario(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = check(&app, &headers) {
        return refuse(StatusCode::FORBIDDEN, why);
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "the scenario is not UTF-8 text");
    };
    let sc = match pagewalk_scenario::parse::parse("scenario.toml", text) {
        Ok(sc) => sc,
        Err(d) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(crate::runcmd::diagnostics_json(&d)),
            )
                .into_response()
        }
    };
    if sc
        .trace
        .iter()
        .any(|s| matches!(s.op, Op::SwapOut { .. } | Op::KsmScan { .. }))
    {
        let why = pagewalk_text::Text::new("kvm-host-settings");
        return Json(json!({
            "file": ON_SCREEN,
            "name": sc.name,
            "skipped": why.to_string(),
            "skipped_text": why,
        }))
        .into_response();
    }
    let Ok(permit) = app.runs.clone().try_acquire_owned() else {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "another KVM run is in progress; try again when it is done",
        );
    };
    let name = sc.name.clone();
    // The permit stays with the run, also if the request gives up waiting for it.
    let task = tokio::task::spawn_blocking(move || {
        let r = pagewalk_kvm::run_on_kvm(&sc);
        drop(permit);
        r
    });
    let tdp = pagewalk_kvm::host::report(None).mode == pagewalk_kvm::host::HostMode::Tdp;
    match tokio::time::timeout(RUN_LIMIT, task).await {
        Err(_) => refuse(
            StatusCode::GATEWAY_TIMEOUT,
            "the run took longer than 60 s; shorten the trace",
        ),
        Ok(Err(_)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the run failed"),
        Ok(Ok(Ok(o))) => {
            Json(crate::kvmcmd::outcome_json(ON_SCREEN, &name, tdp, &o)).into_response()
        }
        Ok(Ok(Err(KvmError::NotRunnable(why)))) => {
            // The English sentence, and the message for the app to say in the learner's
            // language.
            Json(json!({
                "file": ON_SCREEN,
                "name": name,
                "skipped": why.to_string(),
                "skipped_text": why,
            }))
            .into_response()
        }
        Ok(Ok(Err(e @ (KvmError::HugePool(_) | KvmError::Unavailable(_))))) => {
            Json(json!({ "file": ON_SCREEN, "name": name, "unavailable": e.to_string() }))
                .into_response()
        }
        Ok(Ok(Err(e @ KvmError::Guest(_)))) => {
            Json(json!({ "file": ON_SCREEN, "name": name, "guest_failed": e.to_string() }))
                .into_response()
        }
        Ok(Ok(Err(e))) => {
            Json(json!({ "file": ON_SCREEN, "name": name, "error": e.to_string() })).into_response()
        }
    }
}
