//! Failure alerts: the webhook is received by a real HTTP server (axum) on loopback, the e-mail by
//! `scripted_smtp_server`, a minimal SMTP receiver written here (no real MTA runs in the tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::TimeZone;
use docket_connectors::{Alert, EmailTarget, Notifier, SmtpTls, WebhookTarget};
use docket_core::ErrorCode;

fn alert() -> Alert {
    Alert {
        flow: "daily-statements".into(),
        consecutive_failures: 3,
        last_error_code: "DK-E0301".into(),
        last_error: "PostgreSQL postgresql://docket@db:5432/bo is unreachable".into(),
        run_id: "run-20240601-0700".into(),
        at: chrono::Utc.with_ymd_and_hms(2024, 6, 1, 7, 0, 5).unwrap(),
    }
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Default)]
struct Hook {
    /// Requests to fail with 500 before answering 204.
    fail_first: usize,
    received: Vec<(Option<String>, serde_json::Value)>,
}

async fn hook(
    State(h): State<Arc<Mutex<Hook>>>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> StatusCode {
    let mut h = h.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    h.received.push((auth, body));
    if h.received.len() <= h.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A webhook receiver on loopback; stops when dropped.
struct HookServer {
    addr: SocketAddr,
    state: Arc<Mutex<Hook>>,
    _rt: tokio::runtime::Runtime,
}

impl HookServer {
    fn start(fail_first: usize) -> HookServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(Mutex::new(Hook {
            fail_first,
            ..Hook::default()
        }));
        let router = axum::Router::new()
            .route("/hooks/T0K3N-path-S3cret", axum::routing::post(hook))
            .with_state(state.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, router).await.unwrap() });
        HookServer {
            addr,
            state,
            _rt: rt,
        }
    }

    fn target(&self) -> WebhookTarget {
        WebhookTarget {
            url: format!("http://{}/hooks/T0K3N-path-S3cret", self.addr),
            bearer: Some("Hook-Bearer-S3cret".into()),
            timeout: Duration::from_secs(10),
        }
    }
}

#[test]
fn the_webhook_gets_every_field_and_the_bearer_token() {
    let server = HookServer::start(0);
    let n = Notifier::new(Some(server.target()), None).unwrap();
    for shown in [format!("{n:?}"), n.receivers().join(" ")] {
        assert!(!shown.contains("S3cret"), "{shown}");
    }
    n.send(&alert()).unwrap();
    let h = server.state.lock().unwrap();
    assert_eq!(h.received.len(), 1);
    let (auth, body) = &h.received[0];
    assert_eq!(auth.as_deref(), Some("Bearer Hook-Bearer-S3cret"));
    assert_eq!(body["flow"], "daily-statements");
    assert_eq!(body["consecutive_failures"], 3);
    assert_eq!(body["last_error_code"], "DK-E0301");
    assert_eq!(
        body["last_error"],
        "PostgreSQL postgresql://docket@db:5432/bo is unreachable"
    );
    assert_eq!(body["run_id"], "run-20240601-0700");
    assert_eq!(body["at"], "2024-06-01T07:00:05Z");
    assert_eq!(
        body["text"],
        "Docket: flow daily-statements failed 3 times in a row (DK-E0301)"
    );
}

#[test]
fn the_webhook_is_tried_twice_then_fails_naming_the_receiver_only() {
    let once = HookServer::start(1);
    let n = Notifier::new(Some(once.target()), None)
        .unwrap()
        .with_retry_delay(Duration::from_millis(10));
    n.send(&alert()).unwrap();
    assert_eq!(once.state.lock().unwrap().received.len(), 2);

    let always = HookServer::start(usize::MAX);
    let n = Notifier::new(Some(always.target()), None)
        .unwrap()
        .with_retry_delay(Duration::from_millis(10));
    let e = n.send(&alert()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotifyFailed);
    assert_eq!(always.state.lock().unwrap().received.len(), 2);
    assert_eq!(e.receivers, vec![format!("webhook http://{}", always.addr)]);
    assert!(e.message.contains("HTTP 500"), "{}", e.message);
    assert!(!e.message.contains("S3cret"), "{}", e.message);
}

/// What the scripted SMTP receiver saw.
#[derive(Debug, Default, Clone)]
struct SmtpSession {
    commands: Vec<String>,
    data: String,
}

/// A scripted stand-in for an SMTP server: no real MTA runs in the tests, so this speaks just
/// enough SMTP on 127.0.0.1 for one session (greeting, EHLO with AUTH PLAIN/LOGIN, AUTH, MAIL,
/// RCPT, DATA, QUIT), answers each command with a fixed reply (550 to RCPT when `refuse_rcpt`),
/// and returns the commands and the message it received.
fn scripted_smtp_server(refuse_rcpt: bool) -> (u16, JoinHandle<SmtpSession>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut session = SmtpSession::default();
        let mut say = |s: &str| out.write_all(s.as_bytes()).unwrap();
        say("220 scripted.test ESMTP scripted stand-in\r\n");
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let cmd = line.trim_end().to_owned();
            session.commands.push(cmd.clone());
            let verb = cmd
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => say("250-scripted.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"),
                "AUTH" => say("235 2.7.0 accepted\r\n"),
                "MAIL" => say("250 2.1.0 ok\r\n"),
                "RCPT" if refuse_rcpt => say("550 5.1.1 no such user\r\n"),
                "RCPT" => say("250 2.1.5 ok\r\n"),
                "DATA" => {
                    say("354 end with <CRLF>.<CRLF>\r\n");
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == ".\r\n" {
                            break;
                        }
                        session.data.push_str(&line);
                    }
                    say("250 2.0.0 queued\r\n");
                }
                "RSET" | "NOOP" => say("250 ok\r\n"),
                "QUIT" => {
                    say("221 bye\r\n");
                    break;
                }
                _ => say("502 not scripted\r\n"),
            }
        }
        session
    });
    (port, handle)
}

fn email(port: u16, to: &[&str]) -> EmailTarget {
    EmailTarget {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: SmtpTls::None,
        user: Some("alerts".into()),
        password: Some("Mail-S3cret-pw".into()),
        from: "Docket <docket@bank.test>".into(),
        to: to.iter().map(|s| (*s).to_owned()).collect(),
        timeout: Duration::from_secs(10),
    }
}

#[test]
fn the_email_carries_flow_code_run_and_the_explain_hint() {
    let (port, handle) = scripted_smtp_server(false);
    let n = Notifier::new(None, Some(email(port, &["ops@bank.test", "aml@bank.test"]))).unwrap();
    assert!(!format!("{n:?}").contains("S3cret"));
    n.send(&alert()).unwrap();
    let s = handle.join().unwrap();
    let upper: Vec<String> = s.commands.iter().map(|c| c.to_uppercase()).collect();
    assert!(upper[0].starts_with("EHLO"), "{:?}", s.commands);
    // AUTH PLAIN base64("\0alerts\0Mail-S3cret-pw").
    assert!(
        s.commands
            .contains(&"AUTH PLAIN AGFsZXJ0cwBNYWlsLVMzY3JldC1wdw==".to_owned()),
        "{:?}",
        s.commands
    );
    assert!(
        upper
            .iter()
            .any(|c| c.starts_with("MAIL FROM:<DOCKET@BANK.TEST>"))
    );
    assert_eq!(
        upper.iter().filter(|c| c.starts_with("RCPT TO:")).count(),
        2
    );
    assert_eq!(upper.last().map(String::as_str), Some("QUIT"));
    // Undo quoted-printable soft line breaks, should the body use them.
    let data = s.data.replace("=\r\n", "");
    assert!(
        data.contains("Subject: Docket: flow daily-statements failed 3 times in a row (DK-E0301)"),
        "{data}"
    );
    for want in [
        "Flow:                 daily-statements",
        "Consecutive failures: 3",
        "Error code:           DK-E0301",
        "Run id:               run-20240601-0700",
        "At:                   2024-06-01T07:00:05Z",
        "docket explain DK-E0301",
    ] {
        assert!(data.contains(want), "{want:?} missing from:\n{data}");
    }
    assert!(data.contains("text/plain"), "{data}");
}

#[test]
fn refused_ports_and_refused_recipients_are_notify_failed_without_secrets() {
    let hook = WebhookTarget {
        url: format!("http://127.0.0.1:{}/hooks/T0K3N-path-S3cret", closed_port()),
        bearer: Some("Hook-Bearer-S3cret".into()),
        timeout: Duration::from_secs(5),
    };
    let smtp_port = closed_port();
    let n = Notifier::new(
        Some(hook.clone()),
        Some(email(smtp_port, &["ops@bank.test"])),
    )
    .unwrap()
    .with_retry_delay(Duration::from_millis(10));
    let e = n.send(&alert()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotifyFailed);
    assert_eq!(e.receivers.len(), 2, "{:?}", e.receivers);
    assert!(e.receivers[0].starts_with("webhook http://127.0.0.1:"));
    assert!(
        e.receivers[1].contains(&format!("smtp 127.0.0.1:{smtp_port}")),
        "{:?}",
        e.receivers
    );
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("S3cret"), "{shown}");
    assert!(!shown.contains("T0K3N"), "{shown}");

    let (port, handle) = scripted_smtp_server(true);
    let n = Notifier::new(None, Some(email(port, &["nobody@bank.test"]))).unwrap();
    let e = n.send(&alert()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotifyFailed);
    assert!(e.message.contains("550"), "{}", e.message);
    assert!(!e.message.contains("S3cret"), "{}", e.message);
    handle.join().unwrap();

    let bad = Notifier::new(
        Some(WebhookTarget {
            url: "file:///etc/passwd".into(),
            bearer: None,
            timeout: Duration::from_secs(1),
        }),
        None,
    )
    .unwrap_err();
    assert_eq!(bad.code, ErrorCode::NotifyFailed);
    let mut wrong = email(port, &["not an address"]);
    wrong.from = "also not one".into();
    let e = Notifier::new(None, Some(wrong))
        .unwrap()
        .send(&alert())
        .unwrap_err();
    assert!(e.message.contains("address"), "{}", e.message);
}
