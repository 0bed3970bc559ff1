//! Parameter values of an assembly: declared types, defaults, `-D` flags and
//! goal arguments.

use std::collections::HashMap;

use ballet_grammar::ast::{Assembly, Expr};
use ballet_grammar::Span;
use ballet_runtime::Value;

use crate::check::eval::{eval, type_name, Scope};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::FileId;

/// A declared parameter type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// `int`
    Int,
    /// `bool`
    Bool,
    /// `string`
    Str,
}

impl ParamType {
    fn parse(name: &str) -> Option<ParamType> {
        match name {
            "int" => Some(ParamType::Int),
            "bool" => Some(ParamType::Bool),
            "string" => Some(ParamType::Str),
            _ => None,
        }
    }

    fn accepts(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (ParamType::Int, Value::Int(_))
                | (ParamType::Bool, Value::Bool(_))
                | (ParamType::Str, Value::Str(_))
        )
    }

    fn name(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Bool => "bool",
            ParamType::Str => "string",
        }
    }

    /// Parses a `-D NAME=VALUE` text as a value of this type.
    pub fn parse_value(self, raw: &str) -> Option<Value> {
        match self {
            ParamType::Int => raw.trim().parse().ok().map(Value::Int),
            ParamType::Bool => match raw.trim() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            ParamType::Str => Some(Value::Str(raw.to_string())),
        }
    }
}

/// A value given for a parameter from outside the assembly.
#[derive(Clone, Debug)]
pub enum Given<'a> {
    /// `-D name=raw` on the command line.
    Define(&'a str),
    /// `asm(name = expr)` in a goal, in `file`.
    Arg(&'a Expr, FileId, Span),
}

/// The declared type of each parameter (`None` for unknown type names,
/// reported once per declaration).
pub fn declared_types(
    file: FileId,
    decl: &Assembly,
    d: &mut Diagnostics,
) -> Vec<Option<ParamType>> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    decl.params
        .iter()
        .map(|p| {
            if let Some(first) = seen.insert(&p.name.text, p.name.span) {
                d.push(
                    Diagnostic::new(
                        Code::E0312,
                        format!("parameter `{}` is declared twice", p.name.text),
                    )
                    .at(file, p.name.span, "declared again here")
                    .with(file, first, "first declared here"),
                );
            }
            let ty = ParamType::parse(&p.ty.text);
            if ty.is_none() {
                d.push(
                    Diagnostic::new(
                        Code::E0318,
                        format!("unknown parameter type `{}`", p.ty.text),
                    )
                    .at(file, p.ty.span, "not a parameter type")
                    .help("use `int`, `bool` or `string`"),
                );
            }
            ty
        })
        .collect()
}

/// The value of every parameter of `decl`: the given value if any, else the
/// default. `None` if some parameter has no valid value (reported).
pub fn resolve(
    file: FileId,
    decl: &Assembly,
    given: &HashMap<&str, Given<'_>>,
    d: &mut Diagnostics,
) -> Option<Vec<(String, Value)>> {
    let types = declared_types(file, decl, d);
    let mut values = Vec::new();
    let mut ok = true;
    let empty = Scope::default();
    for (param, ty) in decl.params.iter().zip(types) {
        let Some(ty) = ty else {
            ok = false;
            continue;
        };
        let name = param.name.text.as_str();
        let value = match given.get(name) {
            Some(Given::Define(raw)) => match ty.parse_value(raw) {
                Some(v) => Some(v),
                None => {
                    d.push(
                        Diagnostic::new(
                            Code::E0313,
                            format!("`-D {name}={raw}`: `{raw}` is not a valid {}", ty.name()),
                        )
                        .at(
                            file,
                            param.span,
                            format!("`{name}` is declared `{}` here", ty.name()),
                        ),
                    );
                    None
                }
            },
            Some(Given::Arg(expr, arg_file, _)) => typed(
                eval(expr, &empty, *arg_file, d),
                ty,
                *arg_file,
                expr.span,
                name,
                d,
            ),
            None => match &param.default {
                Some(expr) => typed(eval(expr, &empty, file, d), ty, file, expr.span, name, d),
                None => {
                    d.push(
                        Diagnostic::new(Code::E0317, format!("parameter `{name}` has no value"))
                            .at(file, param.span, "no default")
                            .help(format!(
                                "give one with `-D {name}=VALUE`, or declare a default: `{name}: {} = ...`",
                                ty.name()
                            )),
                    );
                    None
                }
            },
        };
        match value {
            Some(v) => values.push((name.to_string(), v)),
            None => ok = false,
        }
    }
    ok.then_some(values)
}

fn typed(
    value: Option<Value>,
    ty: ParamType,
    file: FileId,
    span: Span,
    name: &str,
    d: &mut Diagnostics,
) -> Option<Value> {
    let value = value?;
    if ty.accepts(&value) {
        return Some(value);
    }
    d.push(
        Diagnostic::new(
            Code::E0313,
            format!(
                "parameter `{name}` is `{}`, but this is {}",
                ty.name(),
                type_name(&value)
            ),
        )
        .at(file, span, format!("expected `{}`", ty.name())),
    );
    None
}
