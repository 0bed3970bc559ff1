//! Writing SVG by hand: escaped text, numbers with one decimal, and the few
//! shapes the charts use. Every string from a program (names, reasons)
//! goes through [`escape`].

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal: stable output, small files.
pub(crate) fn num(v: f64) -> String {
    format!("{v:.1}")
}

/// A text element; `style` holds its attributes, `content` is escaped here.
pub(crate) fn text(x: f64, y: f64, style: &str, content: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\" {style}>{}</text>\n",
        num(x),
        num(y),
        escape(content)
    )
}

/// A rectangle from `x1` to `x2` (at least one pixel wide).
pub(crate) fn rect(x1: f64, x2: f64, y: f64, h: f64, attrs: &str) -> String {
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {attrs}/>",
        num(x1),
        num(y),
        num((x2 - x1).max(1.0)),
        num(h)
    )
}

/// A vertical line.
pub(crate) fn vline(x: f64, y1: f64, y2: f64, attrs: &str) -> String {
    format!(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" {attrs}/>\n",
        num(x),
        num(y1),
        num(y2)
    )
}

/// A shape carrying a tooltip (`tip` is escaped here).
pub(crate) fn titled(shape: &str, tip: &str) -> String {
    format!(
        "<g><title>{}</title>{}</g>\n",
        escape(tip),
        shape.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"a<b>&"c"'d'"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(
            text(1.0, 2.0, "k=\"v\"", "x&y"),
            "<text x=\"1.0\" y=\"2.0\" k=\"v\">x&amp;y</text>\n"
        );
        assert_eq!(
            titled("<g/>\n", "<t>"),
            "<g><title>&lt;t&gt;</title><g/></g>\n"
        );
    }
}
