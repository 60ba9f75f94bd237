//! `arrayWith`, `arrayEquals`, `arrayContaining`, `every`, `length`.

use serde_json::Value;

use super::{Evaluator, Failure, Seg};
use crate::matcher::Matcher;
use crate::render::{EXPECTED_MAX_CHARS, describe};
use crate::report::{Actual, Mismatch, MismatchKind};

/// Position by position; a length difference is one more mismatch at the
/// array's own path, after the element mismatches.
pub(super) fn array_equals<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    list: &'a [Matcher],
    v: &Value,
) -> bool {
    let Value::Array(items) = v else {
        return ev.wrong_type(m, "an array", v);
    };
    let mut ok = true;
    for (i, (pm, item)) in list.iter().zip(items).enumerate() {
        if !ev.at(Seg::Index(i), |ev| ev.eval(pm, Some(item))) {
            ok = false;
            if !ev.reporting() {
                return false;
            }
        }
    }
    if list.len() != items.len() {
        ok = ev.fail(|| {
            Failure::new(
                MismatchKind::LengthDiffers,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(v),
                format!("expected {} elements, got {}", list.len(), items.len()),
            )
        });
    }
    ok
}

/// The candidate element with the fewest mismatches (ranked by counting,
/// then rendered once): what the user most likely meant, shown as the
/// details of a failed search.
fn closest<'a>(
    ev: &mut Evaluator<'a>,
    pm: &'a Matcher,
    items: &[Value],
    candidates: impl Iterator<Item = usize>,
) -> Option<(usize, Vec<Mismatch>)> {
    let mut best: Option<(usize, usize)> = None;
    for j in candidates {
        let n = ev.count(pm, Some(&items[j]));
        if best.is_none_or(|(_, b)| n < b) {
            best = Some((j, n));
        }
    }
    let (j, _) = best?;
    Some((
        j,
        ev.at(Seg::Index(j), |ev| ev.collect(pm, Some(&items[j]))),
    ))
}

/// Ordered subsequence. Taking the earliest matching element for each
/// pattern element is optimal: it leaves the longest tail for the rest.
pub(super) fn array_with<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    list: &'a [Matcher],
    v: &Value,
) -> bool {
    let Value::Array(items) = v else {
        return ev.wrong_type(m, "an array", v);
    };
    let mut cursor = 0;
    for (pi, pm) in list.iter().enumerate() {
        let found = (cursor..items.len())
            .find(|&j| ev.at(Seg::Index(j), |ev| ev.probe(pm, Some(&items[j]))));
        if let Some(j) = found {
            cursor = j + 1;
            continue;
        }
        if !ev.rendering() {
            return ev.fail_unrendered();
        }
        let best = closest(ev, pm, items, cursor..items.len());
        let reason = match (&best, cursor) {
            (Some((j, d)), 0) => format!(
                "no element matches arrayWith element {pi}; the closest is [{j}] with {} mismatch{}",
                d.len(),
                if d.len() == 1 { "" } else { "es" }
            ),
            (Some((j, d)), _) => format!(
                "no element from [{cursor}] on matches arrayWith element {pi} (the elements before \
                 it matched up to [{}]); the closest is [{j}] with {} mismatch{}",
                cursor - 1,
                d.len(),
                if d.len() == 1 { "" } else { "es" }
            ),
            (None, 0) => format!("the array is empty, so arrayWith element {pi} has no match"),
            (None, _) => format!(
                "no element is left for arrayWith element {pi}: the elements before it matched up \
                 to the last one, [{}]",
                cursor - 1
            ),
        };
        let details = best.map(|(_, d)| d).unwrap_or_default();
        return ev.fail(|| {
            Failure::new(
                MismatchKind::NoMatchingElement,
                describe(pm, EXPECTED_MAX_CHARS),
                Actual::of(v),
                reason,
            )
            .details(details)
        });
    }
    true
}

/// Any order, each pattern element on a different actual element: a
/// maximum bipartite matching, so `[1, 1]` needs two ones and an element
/// that fits several patterns goes where it is needed.
pub(super) fn array_containing<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    list: &'a [Matcher],
    v: &Value,
) -> bool {
    let Value::Array(items) = v else {
        return ev.wrong_type(m, "an array", v);
    };
    let fits: Vec<Vec<usize>> = list
        .iter()
        .map(|pm| {
            (0..items.len())
                .filter(|&j| ev.at(Seg::Index(j), |ev| ev.probe(pm, Some(&items[j]))))
                .collect()
        })
        .collect();
    let assigned = max_matching(&fits, items.len());
    let mut ok = true;
    for (pi, pm) in list.iter().enumerate() {
        if assigned[pi].is_some() {
            continue;
        }
        ok = false;
        if !ev.rendering() {
            ev.fail_unrendered();
            if ev.reporting() {
                continue;
            }
            return false;
        }
        if fits[pi].is_empty() {
            let best = closest(ev, pm, items, 0..items.len());
            let reason = match &best {
                Some((j, d)) => format!(
                    "no element matches arrayContaining element {pi}; the closest is [{j}] with {} mismatch{}",
                    d.len(),
                    if d.len() == 1 { "" } else { "es" }
                ),
                None => format!("the array is empty, so arrayContaining element {pi} has no match"),
            };
            let details = best.map(|(_, d)| d).unwrap_or_default();
            ev.fail(|| {
                Failure::new(
                    MismatchKind::NoMatchingElement,
                    describe(pm, EXPECTED_MAX_CHARS),
                    Actual::of(v),
                    reason,
                )
                .details(details)
            });
        } else {
            let at: Vec<String> = fits[pi].iter().map(|j| format!("[{j}]")).collect();
            ev.fail(|| {
                Failure::new(
                    MismatchKind::ElementAlreadyUsed,
                    describe(pm, EXPECTED_MAX_CHARS),
                    Actual::of(v),
                    format!(
                        "arrayContaining element {pi} matches only {}, and each is needed by another pattern element",
                        at.join(", ")
                    ),
                )
            });
        }
    }
    ok
}

/// Kuhn's augmenting-path matching: for each pattern element, the actual
/// element it is paired with, if any.
fn max_matching(fits: &[Vec<usize>], n_items: usize) -> Vec<Option<usize>> {
    fn augment(
        p: usize,
        fits: &[Vec<usize>],
        owner: &mut [Option<usize>],
        seen: &mut [bool],
    ) -> bool {
        for &j in &fits[p] {
            if seen[j] {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none_or(|q| augment(q, fits, owner, seen)) {
                owner[j] = Some(p);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; n_items];
    for p in 0..fits.len() {
        let mut seen = vec![false; n_items];
        augment(p, fits, &mut owner, &mut seen);
    }
    let mut assigned = vec![None; fits.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(p) = o {
            assigned[*p] = Some(j);
        }
    }
    assigned
}

/// All elements; every failing element is reported at its index.
pub(super) fn every<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    inner: &'a Matcher,
    v: &Value,
) -> bool {
    let Value::Array(items) = v else {
        return ev.wrong_type(m, "an array", v);
    };
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        if !ev.at(Seg::Index(i), |ev| ev.eval(inner, Some(item))) {
            ok = false;
            if !ev.reporting() {
                return false;
            }
        }
    }
    ok
}

/// The length of an array (elements), string (Unicode scalar values) or
/// object (members), matched by the inner matcher.
pub(super) fn length<'a>(
    ev: &mut Evaluator<'a>,
    m: &'a Matcher,
    inner: &'a Matcher,
    v: &Value,
) -> bool {
    let len = match v {
        Value::Array(a) => a.len(),
        Value::String(s) => s.chars().count(),
        Value::Object(o) => o.len(),
        _ => return ev.wrong_type(m, "an array, a string or an object", v),
    };
    let len_value = Value::from(len);
    ev.probe(inner, Some(&len_value))
        || ev.fail(|| {
            Failure::new(
                MismatchKind::LengthDiffers,
                describe(m, EXPECTED_MAX_CHARS),
                Actual::of(v),
                format!(
                    "the length is {len}, which does not match {}",
                    describe(inner, EXPECTED_MAX_CHARS)
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::max_matching;

    #[test]
    fn matching_moves_an_element_to_where_it_is_needed() {
        // Pattern 0 fits items 0 and 1, pattern 1 only item 0.
        assert_eq!(max_matching(&[vec![0, 1], vec![0]], 2), [Some(1), Some(0)]);
        assert_eq!(max_matching(&[vec![0], vec![0]], 1), [Some(0), None]);
    }
}
