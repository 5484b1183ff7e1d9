//! TLS to PostgreSQL, configured the way libpq users already know: `sslmode` and
//! `sslrootcert` in the store URL.
//!
//! | `sslmode` | encrypted | server certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | when the server offers it | not checked |
//! | `require` | always | not checked, unless `sslrootcert` is given (then as `verify-ca`) |
//! | `verify-ca` | always | signed by a trusted authority |
//! | `verify-full` | always | signed by a trusted authority and issued for the host |
//!
//! The trusted authorities are the certificates in the PEM file `sslrootcert` names, or,
//! without one, the Mozilla root store built into the binary (managed databases whose
//! certificate comes from a public authority). tokio-postgres itself knows only `disable`,
//! `prefer` and `require`: the URL it is given carries the encryption part, and the
//! certificate checks live in the rustls configuration built here.

use std::path::PathBuf;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode;

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Encrypted against eavesdropping, but any certificate is accepted (libpq's `prefer`
    /// and `require`): the connection is not protected from an impostor.
    Nothing,
    /// Signed by a trusted authority, for any host name.
    Authority,
    /// Signed by a trusted authority and issued for the host connected to.
    AuthorityAndHost,
}

/// The TLS part of a store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub verify: Verify,
    pub root_certificates: Option<PathBuf>,
}

/// Splits `sslmode` and `sslrootcert` off a `postgres://` URL: returns the URL tokio-postgres
/// can parse and the TLS settings. The error never repeats the URL.
pub fn split_url(url: &str) -> Result<(String, TlsSettings), String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let mut kept = Vec::new();
    let mut mode = None;
    let mut root_certificates = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_decode_str(value)
                .decode_utf8()
                .map(|value| value.into_owned())
                .map_err(|_| format!("the value of `{key}` is not valid UTF-8"))
        };
        match key {
            "sslmode" => mode = Some(decoded()?),
            "sslrootcert" => root_certificates = Some(PathBuf::from(decoded()?)),
            _ => kept.push(pair),
        }
    }
    let (mode, verify) = match mode.as_deref().unwrap_or("prefer") {
        "disable" => (SslMode::Disable, Verify::Nothing),
        "prefer" => (SslMode::Prefer, Verify::Nothing),
        "require" if root_certificates.is_some() => (SslMode::Require, Verify::Authority),
        "require" => (SslMode::Require, Verify::Nothing),
        "verify-ca" => (SslMode::Require, Verify::Authority),
        "verify-full" => (SslMode::Require, Verify::AuthorityAndHost),
        other => {
            return Err(format!(
                "sslmode `{}` is not one of disable, prefer, require, verify-ca, verify-full",
                other.chars().take(32).collect::<String>()
            ))
        }
    };
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((
        url,
        TlsSettings {
            mode,
            verify,
            root_certificates,
        },
    ))
}

/// The rustls configuration for the settings: reads the `sslrootcert` file if there is one.
pub fn client_config(settings: &TlsSettings) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match settings.verify {
        Verify::Nothing => Arc::new(Lenient {
            chain: None,
            provider,
        }),
        Verify::Authority | Verify::AuthorityAndHost => {
            let roots = Arc::new(roots(settings.root_certificates.as_ref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| format!("TLS: {e}"))?;
            match settings.verify {
                Verify::AuthorityAndHost => webpki,
                _ => Arc::new(Lenient {
                    chain: Some(webpki),
                    provider,
                }),
            }
        }
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn roots(file: Option<&PathBuf>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let Some(file) = file else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        format!(
            "sslrootcert {}: cannot read certificates: {e}",
            file.display()
        )
    };
    let certificates = CertificateDer::pem_file_iter(file)
        .map_err(|e| unreadable(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(&e))?;
    let (added, _ignored) = roots.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(format!(
            "sslrootcert {}: no usable certificate in the file",
            file.display()
        ));
    }
    Ok(roots)
}

/// The modes libpq checks less than rustls would: `verify-ca` (the chain, but not the host
/// name: `chain` is set) and `prefer`/`require` without a root certificate (any certificate,
/// as libpq does: `chain` is `None`). Either way the handshake's signatures are checked
/// against the certificate presented.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
