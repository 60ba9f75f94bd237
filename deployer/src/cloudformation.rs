//! Creating, updating and deleting stacks the way a person would watch
//! them: through a change set (so an update shows what it will change), with
//! the stack's events streamed as they happen, and on failure the first
//! resource that failed and why — not the cascade of cancellations after it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, StackEvent, StackStatus, Tag,
};
use indicatif::{ProgressBar, ProgressStyle};

/// How often stack state is polled.
const POLL: Duration = Duration::from_secs(2);

/// What DescribeStacks says about a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StackInfo {
    /// Its ARN.
    pub id: String,
    /// `CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, ...
    pub status: String,
    /// Output name -> value.
    pub outputs: BTreeMap<String, String>,
    /// Parameter name -> value.
    pub parameters: BTreeMap<String, String>,
}

/// The template, inline or from S3 (inline bodies are limited to 51,200 bytes).
#[derive(Debug, Clone)]
pub(crate) enum TemplateSource {
    /// `TemplateBody`.
    Body(String),
    /// `TemplateURL`.
    Url(String),
}

/// A stack to create or update.
#[derive(Debug, Clone)]
pub(crate) struct StackRequest {
    /// Stack name.
    pub name: String,
    /// The template.
    pub template: TemplateSource,
    /// Parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Stack tags (CloudFormation copies them to resources that take tags).
    pub tags: BTreeMap<String, String>,
}

/// How a deploy ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Deployed {
    /// Created or updated.
    Changed(StackInfo),
    /// The stack already matched.
    Unchanged(StackInfo),
}

/// A CloudFormation client with the watching logic.
pub(crate) struct Stacks {
    client: Client,
}

fn is_missing<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    e.as_service_error().is_some_and(|s| {
        s.code() == Some("ValidationError")
            && s.message().is_some_and(|m| m.contains("does not exist"))
    })
}

fn describe_err<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    what: &str,
    e: SdkError<E>,
) -> anyhow::Error {
    crate::aws_error::explain(what, e)
}

/// One line per event: time, resource, status, reason.
fn event_line(e: &StackEvent) -> String {
    let time = e
        .timestamp()
        .and_then(|t| {
            t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                .ok()
        })
        .map(|t| t.get(11..19).unwrap_or(&t).to_owned())
        .unwrap_or_default();
    let status = e.resource_status().map(|s| s.as_str()).unwrap_or("");
    let mut line = format!(
        "{time}  {:<22} {:<32} {status}",
        e.logical_resource_id().unwrap_or(""),
        e.resource_type().unwrap_or("")
    );
    if let Some(r) = e.resource_status_reason().filter(|r| !r.is_empty()) {
        line.push_str(&format!(": {r}"));
    }
    line
}

/// The first failure among `events` (oldest first), skipping the
/// "cancelled" failures that follow the real one.
pub(crate) fn first_failure(events: &[StackEvent]) -> Option<String> {
    let failed = |e: &&StackEvent| {
        e.resource_status()
            .is_some_and(|s| s.as_str().ends_with("_FAILED"))
    };
    let real = events.iter().filter(failed).find(|e| {
        !e.resource_status_reason()
            .unwrap_or("")
            .to_ascii_lowercase()
            .contains("cancelled")
    });
    // Template-level errors (a bad `Fn::GetAtt`, a missing parameter) have
    // no resource event: the stack's rollback event carries the reason.
    let rollback = || {
        events.iter().find(|e| {
            e.resource_status().is_some_and(|s| {
                matches!(
                    s.as_str(),
                    "ROLLBACK_IN_PROGRESS" | "UPDATE_ROLLBACK_IN_PROGRESS"
                )
            }) && e.resource_status_reason().is_some_and(|r| !r.is_empty())
        })
    };
    real.or_else(|| events.iter().find(failed))
        .or_else(rollback)
        .map(|e| {
            format!(
                "{} ({}) {}: {}",
                e.logical_resource_id().unwrap_or("?"),
                e.resource_type().unwrap_or("?"),
                e.resource_status().map(|s| s.as_str()).unwrap_or("?"),
                e.resource_status_reason().unwrap_or("(no reason given)")
            )
        })
}

/// Shows progress: a spinner with the latest event on a terminal, plain
/// lines otherwise (CI logs).
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(what: &str) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message(what.to_owned());
            Progress { bar: Some(bar) }
        } else {
            eprintln!("{what}");
            Progress { bar: None }
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => {
                b.println(text);
                b.set_message(text.trim().to_owned());
            }
            None => eprintln!("{text}"),
        }
    }

    fn done(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

impl Stacks {
    /// A client for the SDK configuration.
    pub(crate) fn new(sdk: &aws_config::SdkConfig) -> Stacks {
        Stacks {
            client: Client::new(sdk),
        }
    }

    /// The stack, or `None` when it does not exist (or was deleted).
    pub(crate) async fn describe(&self, name: &str) -> anyhow::Result<Option<StackInfo>> {
        let out = match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(describe_err(&format!("DescribeStacks {name}"), e)),
        };
        let Some(stack) = out.stacks().first() else {
            return Ok(None);
        };
        let status = stack
            .stack_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if status == "DELETE_COMPLETE" {
            return Ok(None);
        }
        Ok(Some(StackInfo {
            id: stack.stack_id().unwrap_or(name).to_owned(),
            status,
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                .collect(),
            parameters: stack
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_key()?.to_owned(),
                        p.parameter_value()?.to_owned(),
                    ))
                })
                .collect(),
        }))
    }

    /// The stack's outputs; an error naming the stack when it is missing.
    pub(crate) async fn outputs(&self, name: &str) -> anyhow::Result<BTreeMap<String, String>> {
        match self.describe(name).await? {
            Some(s) => Ok(s.outputs),
            None => bail!(
                "stack `{name}` does not exist in this account and region (check the name, \
                 AWS_REGION and AWS_PROFILE)"
            ),
        }
    }

    /// Every event of the stack, oldest first.
    async fn events(&self, name: &str) -> anyhow::Result<Vec<StackEvent>> {
        let mut events = Vec::new();
        let mut pages = self
            .client
            .describe_stack_events()
            .stack_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => events.extend(p.stack_events().iter().cloned()),
                Err(e) if is_missing(&e) => break,
                Err(e) => return Err(describe_err(&format!("DescribeStackEvents {name}"), e)),
            }
        }
        events.reverse();
        Ok(events)
    }

    /// Waits for the stack to leave `*_IN_PROGRESS`, printing new events;
    /// returns its final status (`None` when it is gone) and the new events.
    async fn watch(
        &self,
        name: &str,
        seen: &mut BTreeSet<String>,
        progress: &Progress,
    ) -> anyhow::Result<(Option<StackInfo>, Vec<StackEvent>)> {
        let mut fresh = Vec::new();
        loop {
            for e in self.events(name).await? {
                let id = e.event_id().unwrap_or("").to_owned();
                if seen.insert(id) {
                    progress.line(&event_line(&e));
                    fresh.push(e);
                }
            }
            let info = self.describe(name).await?;
            match &info {
                Some(s) if s.status.ends_with("_IN_PROGRESS") => {}
                _ => return Ok((info, fresh)),
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn seen_events(&self, name: &str) -> anyhow::Result<BTreeSet<String>> {
        Ok(self
            .events(name)
            .await?
            .iter()
            .filter_map(|e| e.event_id().map(str::to_owned))
            .collect())
    }

    /// Creates or updates the stack through a change set, streaming events.
    pub(crate) async fn deploy(&self, req: &StackRequest) -> anyhow::Result<Deployed> {
        let name = req.name.as_str();
        let mut existing = self.describe(name).await?;
        if let Some(s) = &existing {
            if s.status.ends_with("_IN_PROGRESS") && s.status != "REVIEW_IN_PROGRESS" {
                bail!(
                    "stack `{name}` is busy ({}); wait for it to finish and deploy again",
                    s.status
                );
            }
            if matches!(
                s.status.as_str(),
                "UPDATE_ROLLBACK_FAILED" | "DELETE_FAILED"
            ) {
                let events = self.events(name).await?;
                if let Some(advice) = stuck_advice(name, &s.status, &events) {
                    bail!("{advice}");
                }
            }
            if s.status == "ROLLBACK_COMPLETE" || s.status == "ROLLBACK_FAILED" {
                // A stack whose creation failed cannot be updated, only replaced.
                eprintln!(
                    "stack `{name}` is {} after a failed create: deleting it first",
                    s.status
                );
                self.delete(name).await?;
                existing = None;
            }
        }
        let create = match &existing {
            None => true,
            Some(s) => s.status == "REVIEW_IN_PROGRESS",
        };
        let change_set = format!(
            "vigil-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        let mut call = self
            .client
            .create_change_set()
            .stack_name(name)
            .change_set_name(&change_set)
            .change_set_type(if create {
                ChangeSetType::Create
            } else {
                ChangeSetType::Update
            })
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .description("vigil deploy");
        call = match &req.template {
            TemplateSource::Body(b) => call.template_body(b),
            TemplateSource::Url(u) => call.template_url(u),
        };
        for (k, v) in &req.parameters {
            call = call.parameters(
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build(),
            );
        }
        for (k, v) in &req.tags {
            call = call.tags(Tag::builder().key(k).value(v).build());
        }
        let created = call
            .send()
            .await
            .map_err(|e| describe_err(&format!("CreateChangeSet for stack `{name}`"), e))?;
        // Refer to the change set by its ARN from here on: unambiguous on
        // AWS, and the only form every emulator looks up correctly.
        let change_set = created.id().unwrap_or(&change_set).to_owned();

        // Wait for the change set.
        let described = loop {
            let d = self
                .client
                .describe_change_set()
                .change_set_name(&change_set)
                .send()
                .await
                .map_err(|e| describe_err("DescribeChangeSet", e))?;
            match d.status() {
                Some(ChangeSetStatus::CreateComplete) | Some(ChangeSetStatus::Failed) => break d,
                _ => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        };
        if described.status() == Some(&ChangeSetStatus::Failed) {
            let reason = described.status_reason().unwrap_or("(no reason given)");
            let _ = self
                .client
                .delete_change_set()
                .change_set_name(&change_set)
                .send()
                .await;
            if reason.contains("didn't contain changes") || reason.contains("No updates") {
                let info = self.describe(name).await?.context("stack vanished")?;
                return Ok(Deployed::Unchanged(info));
            }
            bail!("the change set for stack `{name}` failed: {reason}");
        }
        for c in described.changes() {
            if let Some(rc) = c.resource_change() {
                let replace = match rc.replacement().map(|r| r.as_str()) {
                    Some("True") => " (replacement)",
                    Some("Conditional") => " (may replace)",
                    _ => "",
                };
                eprintln!(
                    "  {:<7} {:<22} {}{replace}",
                    rc.action().map(|a| a.as_str()).unwrap_or(""),
                    rc.logical_resource_id().unwrap_or(""),
                    rc.resource_type().unwrap_or("")
                );
            }
        }

        // Events so far (a new stack already has its REVIEW_IN_PROGRESS
        // one); everything after them belongs to this deploy.
        let mut seen = self.seen_events(name).await?;
        self.client
            .execute_change_set()
            .change_set_name(&change_set)
            .send()
            .await
            .map_err(|e| describe_err(&format!("ExecuteChangeSet for stack `{name}`"), e))?;
        let progress = Progress::new(&format!(
            "{} stack `{name}` ...",
            if create { "creating" } else { "updating" }
        ));
        let (info, events) = self.watch(name, &mut seen, &progress).await?;
        progress.done();
        let ok = matches!(
            info.as_ref().map(|s| s.status.as_str()),
            Some("CREATE_COMPLETE") | Some("UPDATE_COMPLETE")
        );
        match info {
            Some(s) if ok => Ok(Deployed::Changed(s)),
            Some(s) if stuck_advice(name, &s.status, &events).is_some() => {
                bail!(
                    "deploying stack `{name}` failed, and so did its rollback: {}",
                    stuck_advice(name, &s.status, &events).unwrap_or_default()
                )
            }
            other => {
                let status = other
                    .map(|s| s.status)
                    .unwrap_or_else(|| "DELETE_COMPLETE (rolled back and removed)".into());
                let cause = first_failure(&events)
                    .unwrap_or_else(|| "no resource reported a failure".into());
                bail!("deploying stack `{name}` failed ({status}); first failure: {cause}")
            }
        }
    }

    /// Deletes the stack and waits until it is gone. A stack that does not
    /// exist is not an error (nothing to do).
    pub(crate) async fn delete(&self, name: &str) -> anyhow::Result<bool> {
        let Some(info) = self.describe(name).await? else {
            return Ok(false);
        };
        let mut seen = self.seen_events(name).await?;
        self.client
            .delete_stack()
            .stack_name(&info.id)
            .send()
            .await
            .map_err(|e| describe_err(&format!("DeleteStack {name}"), e))?;
        let progress = Progress::new(&format!("deleting stack `{name}` ..."));
        let (after, events) = self.watch(&info.id, &mut seen, &progress).await?;
        progress.done();
        match after {
            None => Ok(true),
            Some(s) if s.status == "DELETE_COMPLETE" => Ok(true),
            Some(s) => match stuck_advice(name, &s.status, &events) {
                Some(advice) => bail!("{advice}"),
                None => bail!(
                    "deleting stack `{name}` failed ({}); first failure: {}",
                    s.status,
                    first_failure(&events).unwrap_or_else(|| "no resource reported one".into())
                ),
            },
        }
    }
}

/// The resources whose latest event (of `events`, oldest first) is a
/// failure: what CloudFormation could not roll back or delete.
pub(crate) fn failed_resources(events: &[StackEvent]) -> Vec<String> {
    let mut last: BTreeMap<String, bool> = BTreeMap::new();
    for e in events {
        if e.resource_type() == Some("AWS::CloudFormation::Stack") {
            continue;
        }
        if let (Some(id), Some(status)) = (e.logical_resource_id(), e.resource_status()) {
            last.insert(id.to_owned(), status.as_str().ends_with("_FAILED"));
        }
    }
    last.into_iter()
        .filter_map(|(id, failed)| failed.then_some(id))
        .collect()
}

/// What to do about a stack CloudFormation left stuck: a rollback that
/// failed (nothing can update the stack until it is rolled back) or a
/// delete that failed (resources are left). `None` for other statuses.
pub(crate) fn stuck_advice(name: &str, status: &str, events: &[StackEvent]) -> Option<String> {
    let failed = failed_resources(events);
    let listed = if failed.is_empty() {
        "(see the stack's events)".to_owned()
    } else {
        failed.join(" ")
    };
    let cause = first_failure(events)
        .map(|c| format!("\nfirst failure: {c}"))
        .unwrap_or_default();
    match status {
        "UPDATE_ROLLBACK_FAILED" => Some(format!(
            "stack `{name}` is UPDATE_ROLLBACK_FAILED: CloudFormation could not roll these \
             resources back: {listed}{cause}\n\
             nothing can update the stack until its rollback finishes. Fix the cause, then run\n  \
             aws cloudformation continue-update-rollback --stack-name {name}\n\
             (add `--resources-to-skip {listed}` for resources you fixed or removed by hand), and \
             deploy again once it is UPDATE_ROLLBACK_COMPLETE"
        )),
        "DELETE_FAILED" => Some(format!(
            "stack `{name}` is DELETE_FAILED: CloudFormation could not delete: {listed}{cause}\n\
             fix the cause (e.g. empty a bucket, detach a policy) and run `vigil destroy` again, \
             or keep those resources and remove the rest with\n  \
             aws cloudformation delete-stack --stack-name {name} --retain-resources {listed}"
        )),
        _ => None,
    }
}

/// Stack statuses that mean "usable".
pub(crate) fn is_usable(status: &str) -> bool {
    matches!(
        StackStatus::from(status),
        StackStatus::CreateComplete
            | StackStatus::UpdateComplete
            | StackStatus::UpdateRollbackComplete
            | StackStatus::ImportComplete
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::types::ResourceStatus;

    fn ev(id: &str, status: ResourceStatus, reason: &str) -> StackEvent {
        StackEvent::builder()
            .event_id(format!("e-{id}"))
            .logical_resource_id(id)
            .resource_type("AWS::Lambda::Function")
            .resource_status(status)
            .resource_status_reason(reason)
            .build()
    }

    #[test]
    fn the_first_real_failure_is_named_not_the_cancellations() {
        let events = vec![
            ev("Stack", ResourceStatus::CreateInProgress, "User Initiated"),
            ev(
                "Role",
                ResourceStatus::CreateFailed,
                "Resource creation cancelled",
            ),
            ev(
                "ProviderFunction",
                ResourceStatus::CreateFailed,
                "Error occurred while GetObject. S3 Error Code: NoSuchKey",
            ),
        ];
        assert_eq!(
            first_failure(&events).unwrap(),
            "ProviderFunction (AWS::Lambda::Function) CREATE_FAILED: Error occurred while GetObject. S3 Error Code: NoSuchKey"
        );
        assert_eq!(first_failure(&events[..1]), None);
        assert!(first_failure(&events[..2]).unwrap().starts_with("Role "));
    }

    /// A rollback or a delete that failed says which resources are stuck
    /// and the command that moves on (continue-update-rollback with
    /// resources to skip; delete-stack retaining them).
    #[test]
    fn stuck_stacks_say_what_to_do() {
        let events = vec![
            ev("Role", ResourceStatus::UpdateFailed, "Access denied"),
            ev("Role", ResourceStatus::UpdateComplete, ""),
            ev("Fn", ResourceStatus::UpdateFailed, "Internal failure"),
            ev(
                "Bucket",
                ResourceStatus::DeleteFailed,
                "The bucket you tried to delete is not empty",
            ),
            ev("Key", ResourceStatus::DeleteComplete, ""),
        ];
        assert_eq!(failed_resources(&events), ["Bucket", "Fn"]);
        let rollback = stuck_advice("vigil-x", "UPDATE_ROLLBACK_FAILED", &events).unwrap();
        assert!(
            rollback.contains("could not roll these resources back: Bucket Fn")
                && rollback
                    .contains("aws cloudformation continue-update-rollback --stack-name vigil-x")
                && rollback.contains("--resources-to-skip Bucket Fn"),
            "{rollback}"
        );
        let delete = stuck_advice("vigil-x", "DELETE_FAILED", &events).unwrap();
        assert!(
            delete.contains("could not delete: Bucket Fn")
                && delete.contains("--retain-resources Bucket Fn")
                && delete.contains(
                    "first failure: Role (AWS::Lambda::Function) UPDATE_FAILED: Access denied"
                ),
            "{delete}"
        );
        assert_eq!(stuck_advice("vigil-x", "UPDATE_COMPLETE", &events), None);
    }

    #[test]
    fn usable_statuses() {
        assert!(is_usable("UPDATE_ROLLBACK_COMPLETE"));
        assert!(!is_usable("ROLLBACK_COMPLETE"));
    }
}
