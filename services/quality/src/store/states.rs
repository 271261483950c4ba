//! The states the store queries on, as domain values. Their numbers and names are those
//! of the published `symbolon.quality.v1` enums (which never renumber), so a stored
//! column and a client's filter mean the same thing; `api/` converts, and its tests
//! check that these agree with the published enums.

macro_rules! state {
    ($(#[$doc:meta])* $name:ident, $prefix:literal { $($(#[$vdoc:meta])* $v:ident = $n:literal, $s:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $v = $n,)*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The stored number.
            pub fn code(self) -> i64 {
                self as i64
            }

            /// The value of a stored number.
            pub fn from_code(n: i64) -> Option<Self> {
                match n {
                    $($n => Some(Self::$v),)*
                    _ => None,
                }
            }

            /// The published name (`REVIEW_STATE_PENDING`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$v => concat!($prefix, $s),)*
                }
            }

            /// The number of a published name, as filters take it.
            pub(crate) fn number_of(name: &str) -> Option<i32> {
                Self::ALL.iter().find(|v| v.name() == name).map(|v| *v as i32)
            }
        }
    };
}

state!(
    /// Where a report is in review.
    ReviewState, "REVIEW_STATE_" {
        /// Not set.
        Unspecified = 0, "UNSPECIFIED";
        /// Nothing called for review.
        NotRequired = 1, "NOT_REQUIRED";
        /// Waiting in the review queue.
        Pending = 2, "PENDING";
        /// A reviewer has given the final verdicts.
        Reviewed = 3, "REVIEWED";
    }
);

state!(
    /// Where a dispute stands.
    DisputeState, "DISPUTE_STATE_" {
        /// Not set.
        Unspecified = 0, "UNSPECIFIED";
        /// Waiting for a reviewer.
        Open = 1, "OPEN";
        /// The reviewer agreed.
        Upheld = 2, "UPHELD";
        /// The reviewer kept the verdict.
        Rejected = 3, "REJECTED";
    }
);
