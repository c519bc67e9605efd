//! Test helpers: a scripted OpenAI-compatible server on loopback and documents built from words.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use docket_core::{BBox, Document, Page, SourceInfo, TextOrigin, Word};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the scripted server answers to one request.
pub enum Reply {
    /// A chat completion whose message content is this text (finish_reason `stop`).
    Content(String),
    /// A chat completion cut off at the token limit (finish_reason `length`).
    Truncated(String),
    /// Any status, headers and body.
    Raw(u16, Vec<(&'static str, String)>, String),
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
}

type Handler = dyn Fn(usize, &Value) -> Reply + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    received: Mutex<Vec<Received>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// One request as the server got it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The raw body bytes.
    pub body: Vec<u8>,
    /// The `authorization` header, if any.
    pub authorization: Option<String>,
    /// When it arrived.
    pub at: Instant,
}

/// A **scripted stand-in** for an OpenAI-compatible chat-completions server, for protocol edge
/// cases a real model server cannot be made to produce on demand (timeouts, 429 with
/// Retry-After, 500s, malformed and truncated answers, schema violations) and for counting the
/// requests and inspecting the exact bytes a client sends. It is not a model: the test's handler
/// decides every answer. Real-model tests run against llama.cpp (see `real_model.rs`).
pub struct ScriptedOpenAiServer {
    /// Base URL ending in `/v1`.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptedOpenAiServer {
    /// Requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Number of requests received so far.
    pub fn count(&self) -> usize {
        self.shared.received.lock().unwrap().len()
    }

    /// Most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every request body concatenated, for "this never left the process" assertions.
    pub fn all_bytes(&self) -> Vec<u8> {
        self.received().into_iter().flat_map(|r| r.body).collect()
    }
}

impl Drop for ScriptedOpenAiServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A chat completion body with `content`.
pub fn completion(content: &str, finish: &str) -> Value {
    json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    })
}

fn render(reply: Reply) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
    Box::pin(async move {
        match reply {
            Reply::Content(c) => axum::Json(completion(&c, "stop")).into_response(),
            Reply::Truncated(c) => axum::Json(completion(&c, "length")).into_response(),
            Reply::Raw(status, headers, body) => {
                let mut r = (StatusCode::from_u16(status).unwrap(), body).into_response();
                for (k, v) in headers {
                    r.headers_mut().insert(k, v.parse().unwrap());
                }
                r
            }
            Reply::Delay(d, inner) => {
                tokio::time::sleep(d).await;
                render(*inner).await
            }
        }
    })
}

async fn chat(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    s.max_in_flight.fetch_max(n, Ordering::SeqCst);
    let index = {
        let mut r = s.received.lock().unwrap();
        r.push(Received {
            body: body.to_vec(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            at: Instant::now(),
        });
        r.len() - 1
    };
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let reply = (s.handler)(index, &parsed);
    let resp = render(reply).await;
    s.in_flight.fetch_sub(1, Ordering::SeqCst);
    resp
}

/// Starts the scripted server; `handler(index, request_json)` decides each answer.
pub fn scripted_openai_server(
    handler: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static,
) -> ScriptedOpenAiServer {
    let shared = Arc::new(Shared {
        handler: Box::new(handler),
        received: Mutex::new(Vec::new()),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let state = shared.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new()
                .route("/v1/chat/completions", post(chat))
                .with_state(state);
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
        });
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    ScriptedOpenAiServer {
        url: format!("http://{addr}/v1"),
        shared,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// The user prompt of a request (last user message).
pub fn prompt_of(req: &Value) -> String {
    req["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|x| x["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

/// A page built from lines of `(x, text)` cells, 14 pt per line, 6 pt per character.
pub fn page(number: u32, lines: &[Vec<(f32, &str)>]) -> Page {
    let mut words = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let y = 40.0 + 14.0 * i as f32;
        for (x, text) in line {
            let mut x = *x;
            for w in text.split(' ').filter(|w| !w.is_empty()) {
                let width = 6.0 * w.chars().count() as f32;
                words.push(Word {
                    text: w.to_string(),
                    bbox: BBox::new(x, y, x + width, y + 10.0),
                    confidence: 1.0,
                });
                x += width + 4.0;
            }
        }
    }
    Page {
        number,
        width: 600.0,
        height: 800.0,
        origin: TextOrigin::TextLayer,
        words,
        deskew_degrees: 0.0,
    }
}

/// A document of pages.
pub fn document(path: &str, pages: Vec<Page>) -> Document {
    Document {
        source: SourceInfo {
            path: path.into(),
            sha256: docket_core::hash::sha256_hex(path.as_bytes()),
            kind: "pdf".into(),
        },
        pages,
        sheets: vec![],
    }
}

/// Settings for the scripted server with fast retries.
pub fn settings(url: &str) -> docket_llm::LlmSettings {
    let mut s = docket_llm::LlmSettings::new(url, "scripted-model");
    s.client.backoff = Duration::from_millis(5);
    s.client.max_backoff = Duration::from_secs(5);
    s.client.timeout = Duration::from_secs(20);
    s
}
