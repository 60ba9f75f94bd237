//! The three kinds of call a step can make.

pub mod aws;
#[rustfmt::skip]
pub mod body;
pub mod http;
pub mod lambda;
