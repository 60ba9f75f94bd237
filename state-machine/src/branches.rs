//! How scenarios become the Parallel state's branches: one per scenario,
//! except that scenarios tied by `after` share one, their steps ordered so
//! every `after` holds (simple, and the captures flow; the cost is that
//! those scenarios do not overlap in time).
//!
//! The compiler builds the branches from it; validation sizes the state
//! budget by their number; `vigil local`, JUnit and partial runs follow the
//! same grouping.

use std::collections::{BTreeMap, BTreeSet};

use vigil_matchers::StepId;

use crate::names::ScenarioName;
use crate::suite::{Step, Suite};

/// One Parallel branch: the scenarios it runs and their steps in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The scenarios in this branch (one, unless `after` ties several).
    pub scenarios: Vec<ScenarioName>,
    /// (scenario, index in the scenario) of each step, in run order.
    pub steps: Vec<(ScenarioName, usize)>,
}

/// Groups scenarios tied by `after` and orders their steps.
pub fn branches(suite: &Suite) -> Vec<Branch> {
    let names: Vec<&ScenarioName> = suite.scenarios.keys().collect();
    let owner: BTreeMap<&StepId, usize> = suite
        .scenarios
        .values()
        .enumerate()
        .flat_map(|(i, sc)| sc.steps.iter().map(move |s| (&s.id, i)))
        .collect();
    // Union-find over scenarios.
    let mut parent: Vec<usize> = (0..names.len()).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (i, sc) in suite.scenarios.values().enumerate() {
        for s in &sc.steps {
            for dep in &s.after {
                if let Some(&j) = owner.get(dep) {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..names.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let scenarios: Vec<(&ScenarioName, &Vec<Step>)> = suite
        .scenarios
        .iter()
        .map(|(n, sc)| (n, &sc.steps))
        .collect();
    let mut out: Vec<Branch> = groups
        .into_values()
        .map(|members| {
            // Kahn's algorithm over (scenario order, after), preferring the
            // earliest scenario so the order is deterministic.
            let mut next: Vec<usize> = vec![0; members.len()];
            let mut done: BTreeSet<&StepId> = BTreeSet::new();
            let mut steps = Vec::new();
            loop {
                let ready = members.iter().enumerate().find(|&(k, &sc)| {
                    scenarios[sc]
                        .1
                        .get(next[k])
                        .is_some_and(|s| s.after.iter().all(|d| done.contains(d)))
                });
                let Some((k, &sc)) = ready else { break };
                let step = &scenarios[sc].1[next[k]];
                done.insert(&step.id);
                steps.push((scenarios[sc].0.clone(), next[k]));
                next[k] += 1;
            }
            Branch {
                scenarios: members.iter().map(|&i| names[i].clone()).collect(),
                steps,
            }
        })
        .collect();
    out.sort_by(|a, b| a.scenarios.cmp(&b.scenarios));
    out
}
