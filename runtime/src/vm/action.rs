//! Running one transition for real: its action as a process, or, without
//! one, a wait of `cost × unit`.
//!
//! An action is the command the site's own image holds (a message never
//! carries one), with its placeholders filled in (`{site}`, `{instance}`,
//! `{transition}`, `{behavior}` and the assembly's parameters; `\{`, `\}`
//! and `\\` are literal) and `BALLET_SITE`, `BALLET_INSTANCE`,
//! `BALLET_TRANSITION` and `BALLET_EXECUTION` in its environment. It runs
//! under `sh -c` in its own process group, its standard output and error go
//! to one log file, and it is killed (with its children) when it outlives
//! the timeout.
//!
//! **Actions must be re-runnable.** A site that restarts from its checkpoint
//! runs again the transitions that were running when it stopped (SEMANTICS.md
//! §5), whether or not their actions had finished. `BALLET_EXECUTION`
//! identifies one execution of a transition, the same in a re-run, so that
//! an action can skip work already done: it is
//! `<instance>.<transition>.<k>`, where `k` counts the executions of the
//! transition's behavior in this instance from 1 (the behavior's finished
//! count plus one, see [`execution_id`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::cost::Cost;

/// What a transition needs to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The site's name.
    pub site: String,
    /// The instance's name.
    pub instance: String,
    /// The transition's name.
    pub transition: String,
    /// The behavior's name.
    pub behavior: String,
    /// The transition's cost.
    pub cost: Cost,
    /// Its action, placeholders unexpanded.
    pub action: Option<String>,
    /// Which execution of the transition this is (`BALLET_EXECUTION`, see
    /// [`execution_id`]).
    pub execution: String,
}

/// The identity of one execution of transition `transition` of `instance`
/// during the `k`-th execution (from 1) of its behavior.
///
/// A transition runs at most once per execution of its behavior (a behavior
/// is a DAG, SEMANTICS.md §2), so `(instance, transition, k)` names one
/// execution. While the transition runs, its behavior is the instance's head
/// and has finished `k - 1` times; that count is part of the checkpoint, so
/// a site restarted from it re-runs the transition under the same identity.
pub fn execution_id(instance: &str, transition: &str, k: u32) -> String {
    format!("{instance}.{transition}.{k}")
}

/// How transitions run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecConfig {
    /// The duration of one cost unit, for transitions without an action.
    pub unit: Duration,
    /// The longest an action may run.
    pub timeout: Duration,
    /// Where logs go: `<log_dir>/<site>/<instance>.<transition>.log`.
    pub log_dir: PathBuf,
    /// Values of the assembly parameters, for placeholders.
    pub parameters: BTreeMap<String, String>,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            unit: Duration::from_millis(100),
            timeout: Duration::from_secs(600),
            log_dir: PathBuf::from(".ballet/logs"),
            parameters: BTreeMap::new(),
        }
    }
}

/// Why an action failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionFailure {
    /// The command as run.
    pub command: String,
    /// Its exit status, or what stopped it (`timeout after 10s`).
    pub status: String,
    /// The last lines of its output.
    pub tail: String,
    /// The log file.
    pub log: PathBuf,
}

/// `action` with its placeholders filled in; unknown names are kept as
/// written (the checker has already rejected them).
pub fn expand(action: &str, job: &Job, parameters: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(action.len());
    let mut chars = action.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('{' | '}' | '\\')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                while let Some(&n) = chars.peek() {
                    chars.next();
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                let value = match name.as_str() {
                    "site" => Some(job.site.as_str()),
                    "instance" => Some(job.instance.as_str()),
                    "transition" => Some(job.transition.as_str()),
                    "behavior" => Some(job.behavior.as_str()),
                    other => parameters.get(other).map(String::as_str),
                };
                match (value, closed) {
                    (Some(v), true) => out.push_str(v),
                    _ => {
                        out.push('{');
                        out.push_str(&name);
                        if closed {
                            out.push('}');
                        }
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The log file of a job.
pub fn log_path(config: &ExecConfig, job: &Job) -> PathBuf {
    config
        .log_dir
        .join(&job.site)
        .join(format!("{}.{}.log", job.instance, job.transition))
}

/// How long a transition without an action lasts: `cost × unit`.
fn wait_time(job: &Job, config: &ExecConfig) -> Duration {
    let micros = job.cost.0.saturating_mul(config.unit.as_micros() as u64) / 1000;
    Duration::from_micros(micros)
}

/// Starts one transition; `ended` gets its result when it ends (see
/// [`run_job`]). A wait ends on the clock thread, straight into `ended`; an
/// action runs in a task of its own (so this must be called within a Tokio
/// runtime).
pub fn start_job(
    job: Job,
    config: &ExecConfig,
    ended: impl FnOnce(Result<(), ActionFailure>) + Send + 'static,
) {
    if job.action.is_none() {
        let deadline = std::time::Instant::now() + wait_time(&job, config);
        return super::clock::at(deadline, move || ended(Ok(())));
    }
    let config = config.clone();
    tokio::spawn(async move { ended(run_job(&job, &config).await) });
}

/// Runs one transition to its end: `Ok` when it ended (the wait elapsed, or
/// the action exited 0).
pub async fn run_job(job: &Job, config: &ExecConfig) -> Result<(), ActionFailure> {
    let Some(action) = &job.action else {
        super::clock::sleep_until(std::time::Instant::now() + wait_time(job, config)).await;
        return Ok(());
    };
    let command = expand(action, job, &config.parameters);
    let log = log_path(config, job);
    let failure = |status: String| ActionFailure {
        command: command.clone(),
        status,
        tail: tail(&log),
        log: log.clone(),
    };
    let file = std::fs::create_dir_all(log.parent().unwrap_or(&config.log_dir))
        .and_then(|()| std::fs::File::create(&log))
        .map_err(|e| failure(format!("cannot create the log file: {e}")))?;
    let stderr = file
        .try_clone()
        .map_err(|e| failure(format!("cannot open the log file: {e}")))?;
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("BALLET_SITE", &job.site)
        .env("BALLET_INSTANCE", &job.instance)
        .env("BALLET_TRANSITION", &job.transition)
        .env("BALLET_EXECUTION", &job.execution)
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(stderr))
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failure(format!("cannot start `sh`: {e}")))?;
    match tokio::time::timeout(config.timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(failure(match status.code() {
            Some(code) => format!("exit status {code}"),
            None => format!("{status}"),
        })),
        Ok(Err(e)) => Err(failure(format!("cannot wait for the action: {e}"))),
        Err(_) => {
            kill_group(&child);
            let _ = child.kill().await;
            Err(failure(format!(
                "timed out after {}",
                humanize(config.timeout)
            )))
        }
    }
}

/// Kills the action's process group (the shell and what it started).
fn kill_group(child: &tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A duration as `10m`, `30s` or `250ms`.
pub fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) && ms > 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The last lines of a log file (at most 20 lines, 4 KiB).
pub fn tail(path: &std::path::Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(4096);
    let text = String::from_utf8_lossy(&bytes[start..]);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(action: &str) -> Job {
        Job {
            site: "s1".into(),
            instance: "db".into(),
            transition: "boot".into(),
            behavior: "deploy".into(),
            cost: Cost::units(1),
            action: Some(action.into()),
            execution: execution_id("db", "boot", 2),
        }
    }

    #[test]
    fn placeholders_and_escapes() {
        let params = BTreeMap::from([("n".to_string(), "3".to_string())]);
        let j = job("");
        assert_eq!(
            expand(
                "ansible {site} {instance}/{transition}/{behavior} n={n}",
                &j,
                &params
            ),
            "ansible s1 db/boot/deploy n=3"
        );
        assert_eq!(expand(r"echo \{x\} \\{site}", &j, &params), r"echo {x} \s1");
        assert_eq!(expand("{unknown} {site", &j, &params), "{unknown} {site");
    }

    #[tokio::test]
    async fn a_failing_action_reports_status_and_output() {
        let dir = std::env::temp_dir().join(format!("ballet-action-{}", std::process::id()));
        let config = ExecConfig {
            log_dir: dir.clone(),
            ..ExecConfig::default()
        };
        let e = run_job(
            &job("echo on $BALLET_SITE {instance} $BALLET_EXECUTION; exit 3"),
            &config,
        )
        .await
        .unwrap_err();
        assert_eq!(e.status, "exit status 3");
        assert_eq!(e.tail, "on s1 db db.boot.2");
        assert!(run_job(&job("true"), &config).await.is_ok());
        let slow = ExecConfig {
            timeout: Duration::from_millis(50),
            ..config
        };
        let e = run_job(&job("sleep 30"), &slow).await.unwrap_err();
        assert_eq!(e.status, "timed out after 50ms");
        let _ = std::fs::remove_dir_all(dir);
    }
}
