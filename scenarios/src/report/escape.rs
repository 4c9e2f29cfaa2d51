//! Escaping for everything a history puts into a report.
//!
//! A history is untrusted input: a value may be `<script>alert(1)</script>`.
//! Text goes through [`html`]; data embedded for the page's script goes
//! through [`json_for_script`], so neither can close the element it sits in.

use serde::Serialize;

/// Escapes text for HTML element content and quoted attribute values (also
/// inside inline SVG): `&`, `<`, `>`, `"` and `'`.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Serializes `value` as JSON that is safe inside a `<script>` element:
/// `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026` (so no `</script>`
/// or `<!--` can appear), and U+2028/U+2029 become escapes too. The result
/// is still valid JSON and parses back to the same value.
pub fn json_for_script<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let raw = serde_json::to_string(value)?;
    Ok(script_safe(&raw))
}

/// Applies the escapes of [`json_for_script`] to JSON text. Those characters
/// can only occur inside JSON strings, where `\uXXXX` means the same thing.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html("<script>alert('1')</script> & \"x\""),
            "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn json_for_script_cannot_close_the_script_and_round_trips() {
        let s = "</script><!-- \u{2028}\u{2029} & >";
        let out = json_for_script(s).unwrap();
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&'));
        assert!(!out.contains('\u{2028}') && !out.contains('\u{2029}'));
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, s);
    }
}
