//! The standard library, embedded in the binary.

/// Every module: `(name, source)`. `import NAME` loads `NAME`.
pub const MODULES: &[(&str, &str)] = &[
    ("cps", include_str!("../../stdlib/cps.blt")),
    ("openstack", include_str!("../../stdlib/openstack.blt")),
];

/// The source of module `name`, if it exists.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The file name under which a module's diagnostics are shown.
pub fn display_name(name: &str) -> String {
    format!("<stdlib>/{name}.blt")
}
