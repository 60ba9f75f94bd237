//! What vigil's fuzz targets share: structured generators driven by
//! libFuzzer's bytes (through `arbitrary`), and the invariants every target
//! checks once something decodes.
//!
//! A fuzz target that only calls a decoder finds panics; the checks here
//! also turn silent wrong answers into crashes: a matcher that does not
//! survive its own wire format, a verdict that disagrees with its report, a
//! report whose JSON does not read back. Each check panics with the values
//! involved, so libFuzzer keeps the input as a crash artifact.

pub mod checks;
pub mod generate;
