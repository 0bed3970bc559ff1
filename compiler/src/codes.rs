//! Every diagnostic code, its severity, a title and the long explanation that
//! `balletc explain CODE` prints. Codes are stable: never renumber one, retire
//! it instead.

use crate::diagnostic::Severity;

macro_rules! codes {
    ($($code:ident $sev:ident $title:literal => $long:literal,)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $title]
                $code,
            )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code as printed: `E0203`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code),)* }
            }

            /// Error or warning.
            pub fn severity(self) -> Severity {
                match self { $(Code::$code => Severity::$sev,)* }
            }

            /// A short title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$code => $title,)* }
            }

            /// The long explanation, with an example and the fix.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$code => $long,)* }
            }
        }
    };
}

impl Code {
    /// The code called `name` (case-insensitive), if any.
    pub fn parse(name: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(name))
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    // ------------------------------------------------------------ syntax
    E0001 Error "invalid character" =>
"The text contains a character that starts no token of the language.

    component Db { places a, b § }
                               ^ not part of .blt

Names are made of ASCII letters, digits and `_`; strings are double-quoted. Remove the
character, or put it inside a string or a comment.",
    E0002 Error "unterminated string" =>
"A string literal runs to the end of its line without a closing `\"`. Strings cannot span
lines; write `\\n` for a newline inside a string.

    deploy: a -> b run \"ansible-playbook site.yml      // missing closing quote",
    E0003 Error "unterminated block comment" =>
"A `/*` comment has no matching `*/`. Block comments nest, so every `/*` inside one needs its
own `*/` too.",
    E0004 Error "unexpected token" =>
"The parser found a token that cannot appear here. The message lists what would have been
accepted. The parser skips to the next item (a declaration, a transition, an assembly item or a
goal line) and goes on, so later mistakes are reported too.

    component Db {
        places a b            // missing comma: `places a, b`
    }",
    E0005 Error "unexpected end of file" =>
"The file ends in the middle of an item: usually a missing `}`.",
    E0006 Error "interpolation not allowed here" =>
"`{expr}` interpolation builds instance and site names inside `for` loops. Types, interfaces,
places, behaviors, ports, parameters, assemblies and goals have fixed names.

    component Worker_{i} { ... }     // error: a type name cannot depend on a loop",
    E0007 Error "invalid escape in string" =>
"Strings accept the escapes `\\\"`, `\\\\`, `\\n`, `\\t`, `\\{` and `\\}` (a literal brace in an
action). Any other backslash sequence is an error: write `\\\\` for a backslash.",
    E0008 Error "invalid number" =>
"A cost is a non-negative number with at most three decimals (`3`, `0.5`, `77.75`), and an
integer parameter value must fit in 64 bits.",

    // ------------------------------------------------------------ files and names
    E0101 Error "unknown standard-library module" =>
"`import NAME` loads a module of the standard library, embedded in balletc. The available
modules are listed in the message. To import a file of your own, quote its path:

    import \"lib/storage.blt\"      // relative to the importing file",
    E0102 Error "cannot read imported file" =>
"`import \"path\"` names a file that cannot be read. Paths are relative to the directory of the
importing file.",
    E0103 Error "duplicate definition" =>
"Two top-level declarations have the same name. Interfaces and component types share one
namespace; assemblies and goals each have their own. Rename one of them.",
    E0104 Error "unknown interface" =>
"A port names an interface that is not declared. Declare it (`interface Sql`) or import the
module that declares it.",
    E0105 Error "unknown component type" =>
"An instance names a component type that is not declared. Check the spelling, or import the
module that declares it (`import openstack`).",
    E0106 Error "unknown assembly" =>
"A goal names an assembly that is not declared: `goal g for NAME { ... }`.",

    // ------------------------------------------------------------ component types
    E0201 Error "duplicate place" =>
"A component type lists the same place twice. Places are the states of its lifecycle and must
be distinct.",
    E0202 Error "unknown place" =>
"A transition endpoint, a port group, the `initial`/`running` declaration or a goal names a
place the component type does not declare. Add it to `places`, or fix the spelling.",
    E0203 Error "cycle inside a behavior" =>
"The transitions of one behavior must form a directed acyclic graph: one execution of a
behavior leaves each place at most once (SEMANTICS.md §1). A cycle inside a behavior would run
forever.

    behavior deploy {
        a: off -> on
        b: on -> off          // error: deploy goes off -> on -> off -> ...
    }

Cycles across behaviors are normal: put the way back in another behavior (`stop`, `update`).",
    E0204 Error "missing initial place" =>
"Every component type declares `initial PLACE`: where a new instance starts (`add`) and what
`start initial` and `all initial` refer to.",
    E0205 Error "missing running place" =>
"Every component type declares `running PLACE`: what `start running` and `all running` refer
to, usually the place its deploy behavior ends at.",
    E0206 Error "initial or running place declared twice" =>
"A component type has exactly one initial and one running place; remove the extra
declaration.",
    E0207 Error "duplicate behavior" =>
"A component type declares two behaviors with the same name. A behavior is a named set of
transitions: put all its transitions in one block.",
    E0208 Error "duplicate transition" =>
"Two transitions of one component type have the same name. Transition names identify what
runs (logs, progress, failures) and must be unique within the type, across behaviors.",
    E0209 Error "duplicate port" =>
"A component type declares two ports with the same name (use and provide ports share one
namespace).",
    E0210 Error "empty port group" =>
"A port is bound to a non-empty group of places: it is active while the instance is in one of
them (SEMANTICS.md §2). Add `at PLACE, ...` to the declaration.

    provide service: Sql at deployed",
    E0211 Error "unknown placeholder in action" =>
"A `run` action may refer to `{site}`, `{instance}`, `{transition}`, `{behavior}` and to
assembly parameters (`{n}`). Write `\\{` for a literal brace.",

    // ------------------------------------------------------------ assemblies
    E0301 Error "duplicate site" =>
"An assembly declares the same site twice. In a `for` loop, make the name depend on the loop
variable: `site worker_{i}`.",
    E0302 Error "duplicate instance" =>
"An assembly declares the same instance twice. Instance names are global to the assembly; in a
`for` loop interpolate the loop variable: `db_{i}: MariaDBWorker`.",
    E0303 Error "unknown instance" =>
"A connection names an instance the assembly does not declare.",
    E0304 Error "unknown port" =>
"A connection or a goal names a port the instance's component type does not declare.",
    E0305 Error "connection in the wrong direction" =>
"`connect A.p -> B.q` goes from a provide port to a use port: the provider on the left, the user
on the right. Swap the two sides.",
    E0306 Error "connection between two ports of the same kind" =>
"A connection joins a provide port to a use port. Two provide ports, or two use ports, cannot be
connected.",
    E0307 Error "interface mismatch" =>
"A use port connects only to a provide port of the same interface (SEMANTICS.md §7).

    provide service: Sql at deployed
    use http: Http at running
    connect db.service -> app.http      // error: Sql is not Http",
    E0308 Error "second provider on a use port" =>
"A use port has at most one provider: its activity is guarded by that provider's state.
Remove one of the connections, or give the user one port per provider.",
    E0309 Error "instance on no site" =>
"Every instance runs on a site. Declare it inside a `site NAME { ... }` block, or place it with
`name: Type on SITE`.",
    E0310 Error "unknown site" =>
"`name: Type on SITE` names a site the assembly does not declare. Declare it: `site NAME`.",
    E0311 Error "unknown parameter" =>
"An expression, a `-D NAME=VALUE` flag or a goal's assembly argument names a parameter that is
not declared (nor a loop variable in scope).",
    E0312 Error "duplicate parameter" =>
"An assembly declares two parameters with the same name, or a goal gives the same argument
twice.",
    E0313 Error "type mismatch" =>
"A value does not have the type its place requires: loop bounds, interpolations and arithmetic
are integers; a parameter's default, `-D` value and goal argument must have the parameter's
declared type (`int`, `bool` or `string`).",
    E0314 Error "empty loop range" =>
"`for i in LO..HI` runs for LO <= i < HI. A range with HI <= LO runs zero times, which is almost
always a mistake (a parameter set to 0, or bounds swapped).",
    E0315 Error "assembly too large" =>
"A loop range or a whole assembly is absurdly large (over 1,000,000 iterations or instances).
Check the parameter values.",
    E0316 Error "arithmetic error" =>
"An integer expression overflows or divides by zero.",
    E0317 Error "parameter without a value" =>
"A parameter has no default and no value was given. Give it one with `-D NAME=VALUE`, in the
goal (`goal g for asm(n = 3) { ... }`), or with a default (`n: int = 2`).",
    E0318 Error "unknown parameter type" =>
"Parameter types are `int`, `bool` and `string`.",
    E0319 Error "instance placed on two sites" =>
"An instance declared inside a `site` block cannot also say `on OTHER`.",

    // ------------------------------------------------------------ goals
    E0401 Error "unknown instance in goal" =>
"A goal names an instance that the assembly does not have (for a goal with a target assembly,
end-state lines refer to the target, `start` and `behavior` lines to the start assembly).",
    E0402 Error "unknown behavior" =>
"A goal asks an instance to execute a behavior its component type does not declare.",
    E0403 Error "unknown port in goal" =>
"A port goal names a port the instance's type does not declare.",
    E0404 Error "unknown place in goal" =>
"A state goal or a start line names a place the instance's type does not declare.",
    E0405 Error "contradictory goals" =>
"Two lines of a goal ask for incompatible things: a port both active and inactive, an
instance at two different places, or a port status that the required place of its instance
rules out. A line about one instance overrides a `forall`/`all` line; two lines of the same
kind must agree.",
    E0406 Error "start state given twice" =>
"A goal says twice where the system starts (two `start` lines for the same instance, or
`start running` and `start initial`).",
    E0407 Error "goal matches nothing" =>
"`forall behavior NAME` applies to every instance whose type has that behavior; none has it.",

    // ------------------------------------------------------------ planning
    E0501 Error "goals that cannot be reached together" =>
"No reconfiguration reaches these goal lines together. The planner propagates what each goal
implies along the connections (a provider that goes down forces its users to release the port
first; a user that ends active needs its provider to end active) and found an instance whose
lifecycle cannot do everything asked of it. The lines shown are a minimal conflicting subset:
dropping any one of them makes the rest reachable. The notes say which instance fails and why.
Fix: relax one of the lines, or add a lifecycle path (a behavior) that allows the combination.",
    E0502 Error "instance changes between start and target" =>
"A goal with a target assembly (`goal g for a(..) -> b(..)`) matches instances of the two
assemblies by name. An instance with the same name must have the same type and the same site
in both: Ballet adds and deletes instances, it does not morph them. Give the new instance
another name (the old one is then deleted and the new one added).",
    E0503 Error "no such goal" =>
"`balletc plan` (and `simulate`, `build`) plans one goal: `--goal NAME` must name a goal of the
file. Without `--goal`, the file must declare exactly one goal.",
    E0504 Error "recorded state does not match the assembly" =>
"`--from-state FILE` starts planning from the state a previous run recorded (`.ballet/state.json`).
Every instance of the goal's start assembly must be in it, at a place of its type, and it must
not name instances the assembly does not have: otherwise the recording is of another system.",

    // ------------------------------------------------------------ warnings
    W0001 Warning "unreachable place" =>
"No sequence of transitions, in any behavior, leads from the initial place to this place: the
component can never be there. Usually a missing transition or a typo in an endpoint.",
    W0002 Warning "behavior that can never run" =>
"None of this behavior's transitions leaves a place the component can reach, so pushing it
would do nothing (or the behavior is empty).",
    W0003 Warning "unused port" =>
"No connection of any checked assembly uses this provide port of an instantiated type: nobody
consumes the service it offers. Connect it, or remove the port. (Unconnected use ports are
reported per instance by W0004; ports of standard-library types are not reported.)",
    W0004 Warning "unconnected use port" =>
"An instance's use port has no provider, so the instance can never enter the places of the
port's group (entering them requires a connected, non-refusing provider: SEMANTICS.md §3).",
}
