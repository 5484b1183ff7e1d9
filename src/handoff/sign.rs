//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">` with the secret given as `whsec_<base64>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A signing secret. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// Parses `whsec_<base64>` (the prefix is optional, as in the specification's libraries).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let encoded = text.trim().strip_prefix("whsec_").unwrap_or(text.trim());
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| "the hand-off secret is not `whsec_` followed by base64".to_string())?;
        if bytes.len() < 16 {
            return Err("the hand-off secret must hold at least 16 bytes".into());
        }
        Ok(Secret(bytes))
    }

    /// The `webhook-signature` header value for one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// Whether any signature in a (space-separated) header value is valid; for receivers.
    pub fn verify(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let expected = self.sign(id, timestamp, body);
        header
            .split(' ')
            .any(|candidate| constant_time_eq(candidate.as_bytes(), expected.as_bytes()))
    }
}

/// Compares without an early exit, so timing does not reveal how much of a secret matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
