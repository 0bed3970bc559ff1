//! Random lifecycles for the property tests (`oracle.rs`, `reduction.rs`):
//! a deterministic generator and component types as `.blt` text.

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
