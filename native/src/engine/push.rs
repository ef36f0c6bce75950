//! `push` / `image push`: upload a stored image to a registry, printing what Docker prints
//! without a terminal:
//!
//! ```text
//! The push refers to repository [127.0.0.1:5000/demo/copy]
//! 88d013ed2d86: Preparing
//! 5c2a1f0e9b3d: Preparing
//! 5c2a1f0e9b3d: Mounted from demo/app
//! 88d013ed2d86: Pushed
//! 1.0: digest: sha256:… size: 1234
//! ```
//!
//! (Checked against Docker 20.10 pushing to a loopback registry through a pipe: the same
//! lines, top layer first, and no `Pushing` lines.)
//!
//! Public API: `Engine::cmd_push` (crate-internal, called by the dispatcher), [`PushError`].
//! The protocol work (exists checks, cross-repository mounts, chunked uploads, the manifest
//! last) is [`crate::registry::push::push_image`]; this file finds the image, prints and maps
//! errors.

use std::cell::RefCell;
use std::io::Write;

use layerlab_core::reference::Reference;

use crate::content_store::StoreError;
use crate::registry::push::{PushEvent, PushStatus, push_image};
use crate::registry::reference::ImageRef;
use crate::registry::{Client, ClientOptions, RegistryError};

use super::{Engine, EngineError};

/// Why a push failed once it had started. Docker prints these on the progress stream itself,
/// so they carry no `Error response from daemon:` prefix.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// No tag at all names the repository.
    #[error("An image does not exist locally with the tag: {name}")]
    NoLocalImage { name: String },
    /// The repository has tags, but not this one.
    #[error("tag does not exist: {name}")]
    NoSuchTag { name: String },
    #[error("cannot push a digest reference ({name}): give a tag")]
    DigestReference { name: String },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Engine {
    /// `push NAME[:TAG]`: exit 0 when the manifest is in the registry, 1 otherwise.
    pub(crate) fn cmd_push(
        &self,
        name: &str,
        quiet: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let target = ImageRef::parse(name).map_err(|e| EngineError::Reference {
            text: name.to_owned(),
            reason: e.to_string(),
        })?;
        if target.default_tag && !quiet {
            let _ = writeln!(out, "Using default tag: latest");
        }
        let out = RefCell::new(out);
        let result = self.push(&target, quiet, &out);
        let out = out.into_inner();
        match result {
            Ok(()) => {
                if quiet {
                    let _ = writeln!(out, "{}", target.store_name());
                }
                Ok(0)
            }
            Err(e) => {
                let _ = out.flush();
                let _ = writeln!(err, "{e}");
                Ok(1)
            }
        }
    }

    fn push(&self, target: &ImageRef, quiet: bool, out: &RefCell<&mut dyn Write>) -> Result<(), PushError> {
        if target.digest.is_some() && target.tag.is_none() {
            return Err(PushError::DigestReference {
                name: target.display(),
            });
        }
        let Some(id) = self.store.content.resolve(&target.store_name())? else {
            // Docker names the repository first, then finds nothing to push.
            if !quiet {
                print_line(
                    out,
                    &format!("The push refers to repository [{}]", target.full_repository()),
                );
            }
            let repository = format!("{}:", target.full_repository());
            let has_tags = self
                .store
                .content
                .images()?
                .iter()
                .any(|(_, tags)| tags.iter().any(|t| t.starts_with(&repository)));
            let display = target.display();
            return Err(if has_tags {
                PushError::NoSuchTag { name: display }
            } else {
                PushError::NoLocalImage {
                    name: Reference::parse(&display).map_or(display.clone(), |r| r.familiar_name()),
                }
            });
        };
        let client = Client::new(ClientOptions {
            insecure_registries: self.options().insecure_registries.clone(),
            ..ClientOptions::default()
        });
        let on_event = |event: PushEvent| {
            if quiet {
                return;
            }
            let line = match event {
                PushEvent::Repository { name } => format!("The push refers to repository [{name}]"),
                // `Pushing` carries a byte counter that only a terminal can redraw; without a
                // terminal Docker leaves it out, as it does `Downloading` on a pull.
                PushEvent::Layer {
                    status: PushStatus::Pushing,
                    ..
                } => return,
                PushEvent::Layer { id, status } => format!("{id}: {}", status.label()),
                PushEvent::Digest { tag, digest, size } => format!("{tag}: digest: {digest} size: {size}"),
            };
            print_line(out, &line);
        };
        push_image(&self.store.content, &client, &id, target, &on_event)?;
        Ok(())
    }
}

/// Lines go out as they happen: a large layer takes a while, and the user should see which.
fn print_line(out: &RefCell<&mut dyn Write>, line: &str) {
    if let Ok(mut out) = out.try_borrow_mut() {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
