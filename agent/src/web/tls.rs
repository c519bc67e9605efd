//! TLS for `docket serve` when a certificate is configured (`--tls-cert`, `--tls-key`, PEM):
//! rustls with the ring provider terminates TLS 1.2/1.3 and hands each connection to the same
//! axum router over hyper. A connection whose handshake fails is dropped without affecting the
//! others.

use anyhow::{Context, Result, anyhow};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// Builds the TLS acceptor from PEM files; errors name the file and what is wrong.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor> {
    let read = |p: &Path| -> Result<Vec<u8>> {
        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let cert_pem = read(cert)?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
    if certs.is_empty() {
        return Err(anyhow!(
            "{}: no certificate found (expected -----BEGIN CERTIFICATE-----)",
            cert.display()
        ));
    }
    let key_pem = read(key)?;
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .with_context(|| format!("{}: not a PEM private key", key.display()))?
        .ok_or_else(|| anyhow!("{}: no private key found", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .with_context(|| {
            format!(
                "{} and {} do not make a usable certificate and key pair",
                cert.display(),
                key.display()
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts TLS connections on `listener` and serves `app` on each until the process stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    app: axum::Router,
) -> Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            match acceptor.accept(stream).await {
                Ok(tls) => {
                    let svc = hyper_util::service::TowerToHyperService::new(app);
                    let io = hyper_util::rt::TokioIo::new(tls);
                    if let Err(e) = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(io, svc)
                    .await
                    {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                }
                Err(e) => tracing::info!(%peer, "TLS handshake failed: {e}"),
            }
        });
    }
}
