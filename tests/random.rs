//! Random lifecycles for the property tests (`oracle.rs`, `reduction.rs`):
//! a deterministic generator, component types and whole programs as `.blt`
//! text, and the checker run on them.

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::{load, Origin};
use ballet_runtime::{Goal, Model};

/// A small deterministic generator (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A random component type: places p0..pk (p0 initial), behaviors whose
/// transitions go forward in a per-behavior order (so each is a DAG), and
/// one optional port of each kind.
pub fn random_type(rng: &mut Rng, name: &str) -> String {
    let places = 3 + rng.below(3);
    let behaviors = 2 + rng.below(2);
    let mut text = format!("component {name} {{\n    places ");
    text.push_str(
        &(0..places)
            .map(|p| format!("p{p}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    text.push_str(&format!(
        "\n    initial p0\n    running p{}\n",
        1 + rng.below(places - 1)
    ));
    let mut t = 0;
    for b in 0..behaviors {
        let mut order: Vec<usize> = (0..places).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        // The first behavior leaves the initial place, so something runs.
        if b == 0 {
            let at = order.iter().position(|&p| p == 0).unwrap_or(0);
            order.swap(0, at);
        }
        text.push_str(&format!("    behavior b{b} {{"));
        let count = 1 + rng.below(3);
        for k in 0..count {
            let i = if b == 0 && k == 0 {
                0
            } else {
                rng.below(places - 1)
            };
            let j = i + 1 + rng.below(places - 1 - i);
            text.push_str(&format!(
                " t{t}: p{} -> p{} cost {}",
                order[i],
                order[j],
                1 + rng.below(4)
            ));
            t += 1;
        }
        text.push_str(" }\n");
    }
    let group = |rng: &mut Rng| {
        let mut g: Vec<String> = (0..places)
            .filter(|_| rng.below(2) == 0)
            .map(|p| format!("p{p}"))
            .collect();
        if g.is_empty() {
            g.push(format!("p{}", 1 + rng.below(places - 1)));
        }
        g.join(", ")
    };
    if rng.below(3) > 0 {
        text.push_str(&format!("    provide out: I at {}\n", group(rng)));
    }
    if rng.below(3) > 0 {
        text.push_str(&format!("    use inp: I at {}\n", group(rng)));
    }
    text.push_str("}\n");
    text
}

/// A random program: types, an assembly of 2–5 instances on 1–3 sites with
/// provider-before-user connections, and one goal `g` for it (the seeds of
/// `tests/oracle.rs`: keep this generator's output unchanged).
pub fn random_program(seed: u64) -> String {
    random_program_with(seed, 5)
}

/// [`random_program`] with 2 to `max_instances` instances (at least 2):
/// with 5, exactly [`random_program`]'s programs.
pub fn random_program_with(seed: u64, max_instances: usize) -> String {
    let mut rng = Rng(seed);
    let mut text = String::from("interface I\n");
    let types = 2 + rng.below(2);
    for k in 0..types {
        text.push_str(&random_type(&mut rng, &format!("T{k}")));
    }
    let instances = 2 + rng.below(max_instances.max(2) - 1);
    let sites = 1 + rng.below(3);
    let kinds: Vec<usize> = (0..instances).map(|_| rng.below(types)).collect();
    let placed: Vec<usize> = (0..instances).map(|_| rng.below(sites)).collect();
    text.push_str("assembly a {\n");
    for s in 0..sites {
        text.push_str(&format!("    site s{s} {{"));
        for i in (0..instances).filter(|&i| placed[i] == s) {
            text.push_str(&format!(" c{i}: T{}", kinds[i]));
        }
        text.push_str(" }\n");
    }
    let has = has_port;
    for j in 1..instances {
        if !has(&text, kinds[j], "inp") {
            continue;
        }
        let providers: Vec<usize> = (0..j).filter(|&i| has(&text, kinds[i], "out")).collect();
        if !providers.is_empty() {
            let i = providers[rng.below(providers.len())];
            text.push_str(&format!("    connect c{i}.out -> c{j}.inp\n"));
        }
    }
    text.push_str("}\ngoal g for a {\n");
    text.push_str(if rng.below(2) == 0 {
        "    start running\n"
    } else {
        "    start initial\n"
    });
    for _ in 0..1 + rng.below(2) {
        let i = rng.below(instances);
        text.push_str(&format!("    behavior c{i}.b{}\n", rng.below(2)));
    }
    if rng.below(2) == 0 {
        text.push_str("    all running\n");
    } else {
        let i = rng.below(instances);
        text.push_str(&format!("    c{i} running\n"));
    }
    text.push_str("}\n");
    text
}

/// The model and goal `g` of a random program, or `None` when the checker
/// reports an error (some random lifecycles are rejected).
pub fn checked(text: &str) -> Option<(Model, Goal)> {
    let mut d = Diagnostics::default();
    let program = load(
        "random.blt".into(),
        text.into(),
        Origin::Memory("random".into()),
        &mut d,
    );
    let analysis = analyze(&program, &Options::default(), &mut d);
    if d.has_errors() {
        return None;
    }
    let goal = analysis.goal("g")?.clone();
    Some((analysis.model, goal))
}

/// Whether component `T{ty}` of a random program's `text` has port `port`
/// (`inp` or `out`, of interface `I`).
pub fn has_port(text: &str, ty: usize, port: &str) -> bool {
    let start = text.find(&format!("component T{ty} ")).unwrap_or(0);
    let end = text[start..]
        .find("\n}\n")
        .map_or(text.len(), |e| start + e);
    text[start..end].contains(&format!(" {port}: I"))
}
