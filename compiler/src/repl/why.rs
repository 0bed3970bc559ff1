//! `:why INSTANCE`: what an instance waits for, and on whom. Every reason
//! comes from the semantics ([`System::step_enabled`] and
//! [`System::instruction_enabled`], which name the other instance: the
//! provider refusing, the user still active, the push not executed).
//!
//! [`System::step_enabled`]: ballet_runtime::semantics::System::step_enabled
//! [`System::instruction_enabled`]: ballet_runtime::semantics::System::instruction_enabled

use std::fmt::Write;

use ballet_runtime::program::Instruction;
use ballet_runtime::semantics::Blocked;
use ballet_runtime::timeline::step_display;
use ballet_runtime::{InstanceId, SiteId};

use crate::repl::run::Run;
use crate::repl::show;

/// Whether `ins` involves instance `i`.
fn mentions(ins: &Instruction, i: InstanceId) -> bool {
    match *ins {
        Instruction::Add(c, _)
        | Instruction::Del(c)
        | Instruction::PushB(c, _)
        | Instruction::Wait(c, _, _) => c == i,
        Instruction::Con(c) | Instruction::Dcon(c) => {
            c.provider.instance == i || c.user.instance == i
        }
    }
}

/// The explanation, one reason per line.
pub fn why(run: &Run, i: InstanceId) -> String {
    let u = &run.plan.universe;
    let name = u.instances[i.index()].name.as_str();
    let site_name = |s: SiteId| u.sites[s.index()].name.as_str();
    let show_ins = |ins: &Instruction| ins.display(&run.model, u);
    let mut out = String::new();
    let system = run.system();
    let blocked = system.blocked(&run.model, &run.plan);

    match &system.states[i.index()] {
        None => {
            let _ = writeln!(out, "{name} does not exist");
        }
        Some(s) => {
            let _ = writeln!(
                out,
                "{name} is at {}; queue: {}",
                show::marking(run, i, s),
                if s.queue.is_empty() {
                    "empty".to_string()
                } else {
                    let ty = run.model.ty(u.instances[i.index()].ty);
                    s.queue
                        .iter()
                        .map(|&b| ty.behavior(b).name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            for r in show::running(run, i) {
                let _ = writeln!(out, "  runs {r}");
            }
            let mut stuck = false;
            for b in &blocked {
                if let Blocked::Step {
                    instance,
                    step,
                    reason,
                } = b
                {
                    if *instance == i {
                        stuck = true;
                        let _ = writeln!(
                            out,
                            "  cannot {}: {reason}",
                            step_display(&run.model, &run.plan, i, *step)
                        );
                    }
                }
            }
            let mut steps = Vec::new();
            system.enabled_steps(&run.model, &run.plan, i, &mut steps);
            steps.retain(|s| !matches!(s, ballet_runtime::semantics::Step::End(_)));
            for step in steps {
                let _ = writeln!(
                    out,
                    "  can {} now",
                    step_display(&run.model, &run.plan, i, step)
                );
            }
            if s.queue.is_empty() && !stuck {
                let _ = writeln!(out, "  idle: nothing queued");
            }
        }
    }

    // Instructions not executed yet that concern the instance: which site
    // holds them and what that site waits for first.
    for (k, program) in run.plan.programs.iter().enumerate() {
        let site = SiteId::from_index(k);
        let pc = system.pc[k];
        let pending: Vec<(usize, &Instruction)> = program
            .iter()
            .enumerate()
            .skip(pc)
            .filter(|(_, ins)| mentions(ins, i))
            .collect();
        let Some(&(first, ins)) = pending.first() else {
            continue;
        };
        let head = system.head(&run.plan, site);
        let head_state = match system.instruction_enabled(&run.model, &run.plan, site) {
            Ok(_) => "can execute".to_string(),
            Err(why) => format!("blocked: {why}"),
        };
        if first == pc {
            let _ = writeln!(
                out,
                "  site {} is at {} ({head_state})",
                site_name(site),
                show_ins(ins)
            );
        } else if let Some(head) = head {
            let _ = writeln!(
                out,
                "  site {} has not reached {} (instruction {}): it is at {} (instruction {}, {head_state})",
                site_name(site),
                show_ins(ins),
                first + 1,
                show_ins(&head),
                pc + 1
            );
        }
    }
    out
}
