//! The agent's log: the transport's `tracing` events (a refused connection,
//! a malformed frame, a link up or down) printed to standard error, one
//! line each. Warnings and errors by default; `BALLET_LOG=info` or `debug`
//! shows more. A few lines of our own instead of a subscriber crate.

use std::fmt::Write;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Prints events at `max` and above to standard error.
struct StderrLog {
    prefix: String,
    max: Level,
}

/// Collects an event's fields as `message key=value ...`.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for StderrLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        eprintln!(
            "{} {}: {}",
            self.prefix,
            event.metadata().level().as_str().to_lowercase(),
            line.0
        );
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Installs the log for this process; `prefix` starts every line.
pub fn install(prefix: &str) {
    let max = match std::env::var("BALLET_LOG").as_deref() {
        Ok("debug") => Level::DEBUG,
        Ok("info") => Level::INFO,
        _ => Level::WARN,
    };
    let _ = tracing::subscriber::set_global_default(StderrLog {
        prefix: prefix.to_string(),
        max,
    });
}
