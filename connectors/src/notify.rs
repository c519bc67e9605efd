//! Failure alerts: when a scheduled flow keeps failing, the [`Notifier`] tells people through a
//! webhook (a JSON POST, optional bearer token, two tries) and/or an e-mail over SMTP (no TLS,
//! STARTTLS or implicit TLS via rustls; optional login). Every receiver is tried even when an
//! earlier one fails; the error ([`ErrorCode::NotifyFailed`]) names each receiver that did not
//! take the alert.
//!
//! This module must never put the bearer token, the SMTP password or a webhook URL's path or query
//! (chat webhooks carry their secret there) into a message or `Debug` output.

use std::time::Duration;

use chrono::{DateTime, Utc};
use docket_core::ErrorCode;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use reqwest::blocking::Client;

/// Tries per webhook alert.
const WEBHOOK_ATTEMPTS: u32 = 2;

/// What went wrong, for the people who must act.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// The flow's name.
    pub flow: String,
    /// Failed runs in a row, the latest included.
    pub consecutive_failures: u32,
    /// Error code of the latest failure (`DK-E0301`).
    pub last_error_code: String,
    /// Message of the latest failure (already free of secrets).
    pub last_error: String,
    /// Id of the latest failed run.
    pub run_id: String,
    /// When the latest failure happened.
    pub at: DateTime<Utc>,
}

impl Alert {
    /// One-line summary, used as e-mail subject and the webhook's `text`.
    pub fn subject(&self) -> String {
        format!(
            "Docket: flow {} failed {} time{} in a row ({})",
            self.flow,
            self.consecutive_failures,
            if self.consecutive_failures == 1 {
                ""
            } else {
                "s"
            },
            self.last_error_code
        )
    }

    /// The plain-text e-mail body.
    pub fn body(&self) -> String {
        format!(
            "Flow:                 {}\n\
             Consecutive failures: {}\n\
             Error code:           {}\n\
             Last error:           {}\n\
             Run id:               {}\n\
             At:                   {}\n\
             \n\
             What the code means and what to do: docket explain {}\n",
            self.flow,
            self.consecutive_failures,
            self.last_error_code,
            self.last_error,
            self.run_id,
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.last_error_code
        )
    }
}

/// A webhook receiver.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// `http(s)://…` URL the alert is POSTed to; its path and query are never shown.
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub bearer: Option<String>,
    /// Limit for one try.
    pub timeout: Duration,
}

impl WebhookTarget {
    /// `webhook https://host:port` (no path: chat webhooks keep their secret there).
    pub fn describe(&self) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(u) => match u.port() {
                Some(p) => format!(
                    "webhook {}://{}:{p}",
                    u.scheme(),
                    u.host_str().unwrap_or("")
                ),
                None => format!("webhook {}://{}", u.scheme(), u.host_str().unwrap_or("")),
            },
            Err(_) => "webhook (unparseable URL)".to_owned(),
        }
    }
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.describe())
            .field("bearer", &self.bearer.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (default port 25); only for a relay on the same host or a trusted network.
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed (default port 587).
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS", default port 465).
    Tls,
}

/// An e-mail receiver: an SMTP relay and the addresses.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailTarget {
    /// SMTP server host name.
    pub host: String,
    /// Port; by default 25, 587 or 465 according to `tls`.
    pub port: Option<u16>,
    /// Connection protection.
    pub tls: SmtpTls,
    /// Login user, if the relay needs one.
    pub user: Option<String>,
    /// Login password (from the secret store).
    pub password: Option<String>,
    /// Sender address (`Docket <docket@bank.example>` or a bare address).
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Limit for each SMTP command.
    pub timeout: Duration,
}

impl EmailTarget {
    fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }

    /// `e-mail via smtp host:port (starttls) to a@x, b@y`.
    pub fn describe(&self) -> String {
        format!(
            "e-mail via smtp {}:{} ({:?}) to {}",
            self.host,
            self.port(),
            self.tls,
            self.to.join(", ")
        )
    }
}

impl std::fmt::Debug for EmailTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailTarget")
            .field("host", &self.host)
            .field("port", &self.port())
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("to", &self.to)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// An alert that did not reach one or more receivers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct NotifyError {
    /// Always [`ErrorCode::NotifyFailed`].
    pub code: ErrorCode,
    /// The receivers that failed, described without secrets.
    pub receivers: Vec<String>,
    /// What happened at each; never contains a secret.
    pub message: String,
}

/// Sends alerts to the configured receivers.
pub struct Notifier {
    webhook: Option<(WebhookTarget, Client)>,
    email: Option<EmailTarget>,
    retry_delay: Duration,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("webhook", &self.webhook.as_ref().map(|(w, _)| w))
            .field("email", &self.email)
            .finish()
    }
}

fn failed(receiver: String, message: String) -> NotifyError {
    NotifyError {
        code: ErrorCode::NotifyFailed,
        message: format!("alert not delivered to {receiver}: {message}"),
        receivers: vec![receiver],
    }
}

impl Notifier {
    /// A notifier for the given receivers (either may be absent). Fails `NotifyFailed` when a
    /// webhook URL is not http(s) or its client cannot be built.
    pub fn new(
        webhook: Option<WebhookTarget>,
        email: Option<EmailTarget>,
    ) -> Result<Notifier, NotifyError> {
        let webhook = match webhook {
            None => None,
            Some(w) => {
                let ok = reqwest::Url::parse(&w.url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if !ok {
                    return Err(failed(
                        w.describe(),
                        "the URL must be http:// or https:// with a host".into(),
                    ));
                }
                let client = Client::builder()
                    .timeout(w.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("docket/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| failed(w.describe(), e.without_url().to_string()))?;
                Some((w, client))
            }
        };
        Ok(Notifier {
            webhook,
            email,
            retry_delay: Duration::from_millis(500),
        })
    }

    /// Replaces the pause between the two webhook tries (default 500 ms).
    pub fn with_retry_delay(mut self, delay: Duration) -> Notifier {
        self.retry_delay = delay;
        self
    }

    /// The receivers, described without secrets.
    pub fn receivers(&self) -> Vec<String> {
        let mut r = Vec::new();
        if let Some((w, _)) = &self.webhook {
            r.push(w.describe());
        }
        if let Some(e) = &self.email {
            r.push(e.describe());
        }
        r
    }

    /// Sends `alert` to every receiver; fails naming each receiver that did not accept it.
    pub fn send(&self, alert: &Alert) -> Result<(), NotifyError> {
        let mut errors: Vec<NotifyError> = Vec::new();
        if let Some((w, client)) = &self.webhook
            && let Err(e) = self.post(w, client, alert)
        {
            errors.push(e);
        }
        if let Some(e) = &self.email
            && let Err(err) = send_mail(e, alert)
        {
            errors.push(err);
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(NotifyError {
                code: ErrorCode::NotifyFailed,
                receivers: errors.iter().flat_map(|e| e.receivers.clone()).collect(),
                message: errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
        }
    }

    fn post(&self, w: &WebhookTarget, client: &Client, alert: &Alert) -> Result<(), NotifyError> {
        let mut body = serde_json::to_value(alert).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut body {
            m.insert("text".into(), serde_json::Value::String(alert.subject()));
        }
        let scrub = |s: String| match &w.bearer {
            Some(t) if !t.is_empty() => s.replace(t.as_str(), "***"),
            _ => s,
        };
        let mut last = String::new();
        for attempt in 1..=WEBHOOK_ATTEMPTS {
            let mut req = client.post(&w.url).json(&body);
            if let Some(t) = &w.bearer {
                req = req.bearer_auth(t);
            }
            match req.send() {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => {
                    let status = resp.status();
                    last = format!("HTTP {status}");
                    // A refusal (4xx other than 408/429) will not change on a second try.
                    if status.is_client_error() && !matches!(status.as_u16(), 408 | 429) {
                        break;
                    }
                }
                Err(e) => last = scrub(e.without_url().to_string()),
            }
            if attempt < WEBHOOK_ATTEMPTS {
                std::thread::sleep(self.retry_delay);
            }
        }
        Err(failed(w.describe(), last))
    }
}

fn send_mail(e: &EmailTarget, alert: &Alert) -> Result<(), NotifyError> {
    let fail = |m: String| {
        let m = match &e.password {
            Some(p) if !p.is_empty() => m.replace(p.as_str(), "***"),
            _ => m,
        };
        failed(e.describe(), m)
    };
    let from: Mailbox = e
        .from
        .parse()
        .map_err(|err| fail(format!("sender address {:?} is invalid: {err}", e.from)))?;
    if e.to.is_empty() {
        return Err(fail("no recipient address is configured".into()));
    }
    let mut builder = Message::builder().from(from).subject(alert.subject());
    for to in &e.to {
        let mb: Mailbox = to
            .parse()
            .map_err(|err| fail(format!("recipient address {to:?} is invalid: {err}")))?;
        builder = builder.to(mb);
    }
    let message = builder
        .header(ContentType::TEXT_PLAIN)
        .body(alert.body())
        .map_err(|err| fail(format!("cannot build the message: {err}")))?;
    let tls = match e.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls | SmtpTls::Tls => {
            let params = TlsParameters::new(e.host.clone())
                .map_err(|err| fail(format!("TLS setup failed: {err}")))?;
            if e.tls == SmtpTls::Tls {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    let mut transport = SmtpTransport::builder_dangerous(e.host.as_str())
        .port(e.port())
        .tls(tls)
        .timeout(Some(e.timeout));
    if let (Some(user), Some(password)) = (&e.user, &e.password) {
        transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
    }
    transport
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|err| fail(format!("SMTP failed: {err}")))
}
