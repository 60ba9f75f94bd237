//! Where each path of a suite sits in its source text, so that errors found
//! after parsing (duplicate ids, unknown captures, limits) can still name a
//! line and column. Works for YAML and for JSON (JSON is YAML's flow syntax).

use std::collections::BTreeMap;

use serde_saphyr::granit_parser::{Event, Parser};

/// Suite path (`scenarios.a.steps[1].id`) -> 1-based (line, column), and
/// the keys written twice in one mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    positions: BTreeMap<String, (u64, u64)>,
    duplicates: Vec<(String, (u64, u64))>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl SourceMap {
    /// Indexes `text`; an unparsable text gives an empty map (its parse
    /// error is reported elsewhere, with its own position).
    pub fn index(text: &str) -> SourceMap {
        let mut map = BTreeMap::new();
        let mut duplicates = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let at = (span.start.line() as u64, span.start.col() as u64 + 1);
            // The path of a node starting here, if the event starts a node.
            let mut node_path = |stack: &mut Vec<Frame>| -> Option<String> {
                match stack.last_mut() {
                    None => Some(String::new()),
                    Some(Frame::Map { path, key }) => key.take().map(|k| join_key(path, &k)),
                    Some(Frame::Seq { path, index }) => {
                        let p = format!("{path}[{index}]");
                        *index += 1;
                        map.entry(p.clone()).or_insert(at);
                        Some(p)
                    }
                }
            };
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map { path, key }) = stack.last_mut()
                        && key.is_none()
                    {
                        // A key: remember it and where it is.
                        let key_path = join_key(path, &value);
                        match map.entry(key_path) {
                            std::collections::btree_map::Entry::Occupied(_) => {
                                duplicates.push((value.to_string(), at));
                            }
                            std::collections::btree_map::Entry::Vacant(v) => {
                                v.insert(at);
                            }
                        }
                        *key = Some(value.into_owned());
                    } else {
                        node_path(&mut stack);
                    }
                }
                // An alias stands for a whole node: it takes the place of
                // a value (or, rarely, of a key whose text is elsewhere).
                Event::Alias(..) => {
                    if let Some(Frame::Map { key, .. }) = stack.last_mut()
                        && key.is_none()
                    {
                        *key = Some("*alias".to_owned());
                    } else {
                        node_path(&mut stack);
                    }
                }
                Event::MappingStart(..) => {
                    let path = node_path(&mut stack).unwrap_or_default();
                    stack.push(Frame::Map { path, key: None });
                }
                Event::SequenceStart(..) => {
                    let path = node_path(&mut stack).unwrap_or_default();
                    stack.push(Frame::Seq { path, index: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        SourceMap {
            positions: map,
            duplicates,
        }
    }

    /// Keys written twice in one mapping, with where the second one is.
    pub fn duplicates(&self) -> &[(String, (u64, u64))] {
        &self.duplicates
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn locate(&self, path: &str) -> Option<(u64, u64)> {
        let mut p = path;
        loop {
            if let Some(at) = self.positions.get(p) {
                return Some(*at);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_paths_have_positions() {
        let yaml = "suite: s\nscenarios:\n  a:\n    steps:\n      - id: x\n        call: {kind: aws}\n      - id: y\n        after: [x, z]\n";
        let m = SourceMap::index(yaml);
        assert_eq!(m.locate("scenarios.a.steps[1].id"), Some((7, 9)));
        assert_eq!(m.locate("scenarios.a.steps[1].after[1]"), Some((8, 20)));
        assert_eq!(
            m.locate("scenarios.a.steps[0].poll"),
            Some((5, 9)),
            "falls back to the step"
        );
        let json =
            "{\n  \"suite\": \"s\",\n  \"scenarios\": {\"a\": {\"steps\": [{\"id\": \"x\"}]}}\n}";
        let m = SourceMap::index(json);
        assert_eq!(m.locate("scenarios.a.steps[0].id"), Some((3, 34)));
        assert_eq!(SourceMap::index("{{{").locate("x"), None);
    }

    /// An alias is a value like any other: the keys after it keep their
    /// paths, and are not mistaken for repeated ones.
    #[test]
    fn aliases_take_a_value_place() {
        let yaml = "a: &x {k: 1}\nb:\n  c: *x\n  d: {k: 2}\n";
        let m = SourceMap::index(yaml);
        assert_eq!(m.locate("b.d.k"), Some((4, 7)));
        assert!(m.duplicates().is_empty(), "{:?}", m.duplicates());
        let m = SourceMap::index("{\"a\": 1, \"b\": {\"a\": 2}, \"a\": 3}");
        assert_eq!(m.duplicates(), [("a".to_owned(), (1, 25))]);
    }
}
