//! Reading a list that CloudFormation and IAM also accept as a single value.
//!
//! IAM's `Action`, `Resource` and principals, and a resource's `DependsOn`,
//! may be written as `"x"` or `["x", ...]`. vigil always writes the list;
//! this reads both, passing the single value to `T`'s own `Deserialize` so
//! its validation errors (e.g. a wildcard IAM action) come through intact,
//! which an untagged enum would hide.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// `deserialize_with` target: one `T` or a list of them, as a `Vec<T>`.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(OneOrMany(PhantomData))
}

struct OneOrMany<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or a list of values")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
        T::deserialize(v.into_deserializer()).map(|t| vec![t])
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<T>, E> {
        T::deserialize(v.into_deserializer()).map(|t| vec![t])
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| vec![t])
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<T>, A::Error> {
        Vec::<T>::deserialize(SeqAccessDeserializer::new(seq))
    }
}
