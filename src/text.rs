//! Text normalization shared by keyword triggers and slot validators: lowercase, strip accents,
//! fold punctuation to spaces. Pure functions, no allocation beyond the result.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The most characters of customer text the engine looks at; the rest is ignored for matching.
pub const MAX_MATCH_CHARS: usize = 2_000;

/// Lowercases, removes accents and turns everything that is not a letter or digit into a single
/// space, so `¿Dónde está mi PEDIDO?` becomes `donde esta mi pedido`. Apostrophes join words
/// (`what's` → `whats`) so keyword lists need not spell both forms.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text
        .chars()
        .take(MAX_MATCH_CHARS)
        .flat_map(char::to_lowercase)
        .nfd()
    {
        if is_combining_mark(c) || c == '\'' || c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out.nfc().collect()
}
