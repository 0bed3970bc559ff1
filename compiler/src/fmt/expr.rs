//! Expressions and interpolated names in canonical form.
//!
//! The syntax tree drops parentheses, so they are put back from precedence:
//! exactly where the tree needs them to read back the same.

use ballet_grammar::ast::{BinOp, Expr, ExprKind, Template};

/// How tightly an expression binds (higher binds tighter).
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary(BinOp::Add | BinOp::Sub, _, _) => 1,
        ExprKind::Binary(_, _, _) => 2,
        ExprKind::Neg(_) => 3,
        _ => 4,
    }
}

fn op_precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 2,
    }
}

/// `expr` as canonical text; `source` gives string literals as written.
pub(super) fn expr(source: &str, e: &Expr) -> String {
    let mut out = String::new();
    write(source, e, &mut out);
    out
}

fn write(source: &str, e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Number(n) => out.push_str(n),
        // A string literal is kept as written: its escapes are part of it.
        ExprKind::Str(s) => match source.get(e.span.range()) {
            Some(raw) if raw.starts_with('"') => out.push_str(raw),
            _ => out.push_str(&format!("{s:?}")),
        },
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Var(v) => out.push_str(v),
        ExprKind::Neg(inner) => {
            out.push('-');
            operand(source, inner, precedence(inner) < 3, out);
        }
        ExprKind::Binary(op, a, b) => {
            let p = op_precedence(*op);
            // Left-associative: the right operand needs parentheses already
            // at equal precedence (`a - (b - c)`).
            operand(source, a, precedence(a) < p, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            operand(source, b, precedence(b) <= p, out);
        }
    }
}

fn operand(source: &str, e: &Expr, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
        write(source, e, out);
        out.push(')');
    } else {
        write(source, e, out);
    }
}

/// An interpolated name as written, without the spaces the lexer allows
/// inside its braces (`worker_{ i + 1 }` becomes `worker_{i+1}`).
pub(super) fn template(source: &str, t: &Template) -> String {
    match source.get(t.span.range()) {
        Some(raw) if !raw.is_empty() => raw.chars().filter(|c| !c.is_whitespace()).collect(),
        _ => t.source_text(),
    }
}
