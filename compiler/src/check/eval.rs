//! Evaluating parameter expressions, loop bounds and name interpolations.

use ballet_grammar::ast::{BinOp, Expr, ExprKind, Template, TemplatePart};
use ballet_runtime::Value;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::FileId;

/// The variables in scope: parameters first, then loop variables (innermost
/// last, so lookups search from the end).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    vars: Vec<(String, Value)>,
}

impl Scope {
    /// A scope with these parameter values.
    pub fn new(params: &[(String, Value)]) -> Scope {
        Scope {
            vars: params.to_vec(),
        }
    }

    /// Enters a loop variable.
    pub fn push(&mut self, name: &str, value: Value) {
        self.vars.push((name.to_string(), value));
    }

    /// Leaves the innermost loop variable.
    pub fn pop(&mut self) {
        self.vars.pop();
    }

    /// Sets the innermost variable's value (the next loop iteration).
    pub fn set_last(&mut self, value: Value) {
        if let Some(last) = self.vars.last_mut() {
            last.1 = value;
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(n, _)| n.as_str())
    }
}

/// Evaluates `expr`; problems are reported and give `None`.
pub fn eval(expr: &Expr, scope: &Scope, file: FileId, d: &mut Diagnostics) -> Option<Value> {
    match &expr.kind {
        ExprKind::Number(text) => match text.parse::<i64>() {
            Ok(v) => Some(Value::Int(v)),
            Err(_) => {
                let why = if text.contains('.') {
                    "parameters and loop bounds are integers"
                } else {
                    "too large for a 64-bit integer"
                };
                d.push(
                    Diagnostic::new(Code::E0008, format!("`{text}` is not a valid integer"))
                        .at(file, expr.span, why),
                );
                None
            }
        },
        ExprKind::Str(s) => Some(Value::Str(s.clone())),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::Var(name) => match scope.get(name) {
            Some(v) => Some(v.clone()),
            None => {
                let mut diag = Diagnostic::new(Code::E0311, format!("unknown parameter `{name}`"))
                    .at(file, expr.span, "not a parameter or loop variable in scope");
                if let Some(best) = crate::suggest::closest(name, scope.names()) {
                    diag = diag.help(format!("did you mean `{best}`?"));
                }
                d.push(diag);
                None
            }
        },
        ExprKind::Neg(inner) => {
            let v = eval_int(inner, scope, file, d)?;
            checked(v.checked_neg(), expr, file, d).map(Value::Int)
        }
        ExprKind::Binary(op, a, b) => {
            let a = eval_int(a, scope, file, d);
            let b = eval_int(b, scope, file, d);
            let (a, b) = (a?, b?);
            if matches!(op, BinOp::Div | BinOp::Rem) && b == 0 {
                d.push(
                    Diagnostic::new(Code::E0316, format!("`{expr}` divides by zero")).at(
                        file,
                        expr.span,
                        "division by zero",
                    ),
                );
                return None;
            }
            let result = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                BinOp::Rem => a.checked_rem(b),
            };
            checked(result, expr, file, d).map(Value::Int)
        }
    }
}

fn checked(v: Option<i64>, expr: &Expr, file: FileId, d: &mut Diagnostics) -> Option<i64> {
    if v.is_none() {
        d.push(
            Diagnostic::new(Code::E0316, format!("`{expr}` overflows 64-bit integers"))
                .at(file, expr.span, "overflow"),
        );
    }
    v
}

/// Evaluates an expression that must be an integer.
pub fn eval_int(expr: &Expr, scope: &Scope, file: FileId, d: &mut Diagnostics) -> Option<i64> {
    match eval(expr, scope, file, d)? {
        Value::Int(v) => Some(v),
        other => {
            d.push(
                Diagnostic::new(
                    Code::E0313,
                    format!("expected an integer, found {}", type_name(&other)),
                )
                .at(file, expr.span, format!("this is {}", type_name(&other))),
            );
            None
        }
    }
}

/// The name of a value's type, with an article, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an integer",
        Value::Bool(_) => "a boolean",
        Value::Str(_) => "a string",
    }
}

/// The name a template denotes in `scope`.
pub fn interpolate(
    t: &Template,
    scope: &Scope,
    file: FileId,
    d: &mut Diagnostics,
) -> Option<String> {
    if let Some(plain) = t.as_plain() {
        return Some(plain.to_string());
    }
    let mut out = String::new();
    let mut ok = true;
    for part in &t.parts {
        match part {
            TemplatePart::Lit(text) => out.push_str(text),
            TemplatePart::Expr(e) => match eval_int(e, scope, file, d) {
                Some(v) => out.push_str(&v.to_string()),
                None => ok = false,
            },
        }
    }
    ok.then_some(out)
}
