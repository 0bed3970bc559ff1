//! Dense index types. Each indexes one `Vec` of the model; they are never
//! mixed up because each is its own type.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, for indexing the owning `Vec`.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of the `i`-th element. Tables are limited to `u32::MAX`
            /// entries, which the compiler's size limits guarantee.
            pub fn from_index(i: usize) -> Self {
                Self(u32::try_from(i).expect("table index fits in u32"))
            }
        }
    };
}

id!(
    /// A component type of the [`crate::Model`].
    TypeId
);
id!(
    /// An interface (port type) of the [`crate::Model`].
    InterfaceId
);
id!(
    /// A place of one component type.
    PlaceId
);
id!(
    /// A transition of one component type.
    TransitionId
);
id!(
    /// A behavior of one component type.
    BehaviorId
);
id!(
    /// A port of one component type.
    PortId
);
id!(
    /// An instance of one assembly.
    InstanceId
);
id!(
    /// A site of one assembly.
    SiteId
);
