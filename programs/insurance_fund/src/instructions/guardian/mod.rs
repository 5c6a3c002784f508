#![allow(ambiguous_glob_reexports)]
pub mod pause;
pub use pause::*;
