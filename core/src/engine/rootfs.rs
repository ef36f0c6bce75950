//! A container's root filesystem as the engine edits it: the writable layer of
//! [`crate::container::Container`] over the image's merged view, with each operation's
//! overlayfs story turned into engine [`Event`]s (copy-up, whiteout, opaque directory, ...).
//!
//! The engine keeps a container's writable layer as a plain [`Changeset`] (it is what the state
//! file stores); this adapter rebuilds the `Container` around it for one command and hands the
//! changed layer back.

use std::sync::Arc;

use crate::container::{self, Container, FileType, FsError};
use crate::engine::Event;
use crate::layer::{Changeset, Content, Entry};
use crate::union::MergedView;

/// The merged view of one container, being edited.
#[derive(Debug)]
pub struct RootFs {
    name: String,
    fs: Container,
    events: Vec<Event>,
}

fn abs(p: &str) -> String {
    format!("/{}", p.trim_start_matches('/'))
}

impl RootFs {
    /// `layers` bottom first; `upper` is the container's writable layer so far.
    pub fn new(name: &str, layers: Vec<Arc<Changeset>>, upper: &Changeset, now: i64) -> Self {
        let mut fs = Container::with_upper(Arc::new(MergedView::new(layers)), upper);
        fs.set_time(now);
        Self {
            name: name.to_string(),
            fs,
            events: Vec::new(),
        }
    }

    /// The writable layer after the edits, and what each edit did.
    pub fn finish(self) -> (Changeset, Vec<Event>) {
        (self.fs.to_changeset(), self.events)
    }

    /// `docker diff` of the container.
    pub fn changes(&self) -> Vec<container::Change> {
        self.fs.changes()
    }

    fn record(&mut self, outcome: container::Outcome) {
        for e in outcome.events {
            let container = self.name.clone();
            let event = match e {
                container::Event::CopyUp { path, bytes, .. } => Event::CopyUp {
                    container,
                    path,
                    bytes,
                },
                container::Event::NewFile { path, bytes } => Event::FileWritten {
                    container,
                    path,
                    bytes,
                },
                container::Event::Write { path, file_len, .. } => Event::FileWritten {
                    container,
                    path,
                    bytes: file_len,
                },
                container::Event::Whiteout { path } => Event::Whiteout { container, path },
                container::Event::OpaqueDir { path } => Event::OpaqueDir { container, path },
                // Directories, links and metadata cost nothing in `ps -s`; the pictures show
                // the files that do.
                _ => continue,
            };
            self.events.push(event);
        }
    }

    /// The entry at `p` (root-relative), with a file's content.
    pub fn get(&self, p: &str) -> Option<Entry> {
        let st = self.fs.lstat(&abs(p)).ok()?;
        let path = p.trim_start_matches('/').to_string();
        let entry = match st.file_type {
            FileType::Dir => Entry::dir(path),
            FileType::Symlink => Entry::symlink(path, st.symlink_target.unwrap_or_default()),
            FileType::File => Entry::file(path, self.fs.read_file(&abs(p)).ok()?),
        };
        Some(
            entry
                .with_mode(st.mode)
                .with_owner(st.uid, st.gid)
                .with_mtime(st.mtime),
        )
    }

    /// Names in the directory `p`, in name order.
    pub fn list(&self, p: &str) -> Result<Vec<String>, FsError> {
        Ok(self.fs.list_dir(&abs(p))?.into_iter().map(|d| d.name).collect())
    }

    /// Writes `content` to `p`, replacing it (`>`) or appending to it (`>>`).
    pub fn write_file(&mut self, p: &str, content: Content, append: bool) -> Result<(), FsError> {
        let outcome = if append {
            let bytes = content.read_range(0, usize::try_from(content.len()).unwrap_or(0));
            self.fs.append(&abs(p), &bytes)?
        } else {
            self.fs.write_file(&abs(p), content)?
        };
        self.record(outcome);
        Ok(())
    }

    /// `mkdir`, optionally with missing parents (`-p`, which also accepts an existing directory).
    pub fn mkdir(&mut self, p: &str, parents: bool) -> Result<(), FsError> {
        let outcome = if parents {
            self.fs.mkdir_all(&abs(p))?
        } else {
            self.fs.mkdir(&abs(p))?
        };
        self.record(outcome);
        Ok(())
    }

    /// `rm` (`recursive` for directories); `force` ignores a missing path.
    pub fn remove(&mut self, p: &str, recursive: bool, force: bool) -> Result<(), FsError> {
        let result = if recursive {
            self.fs.remove_all(&abs(p))
        } else {
            self.fs.remove_file(&abs(p))
        };
        match result {
            Ok(outcome) => {
                self.record(outcome);
                Ok(())
            }
            Err(FsError::NotFound { .. }) if force => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `chmod`: on a lower file this copies the whole file up, as overlayfs does.
    pub fn chmod(&mut self, p: &str, mode: u32) -> Result<(), FsError> {
        let outcome = self.fs.chmod(&abs(p), mode)?;
        self.record(outcome);
        Ok(())
    }

    /// Removes one file, symlink or empty directory.
    pub fn remove_one(&mut self, p: &str) -> Result<(), FsError> {
        let is_dir = self.fs.lstat(&abs(p))?.file_type == FileType::Dir;
        let outcome = if is_dir {
            self.fs.remove_dir(&abs(p))?
        } else {
            self.fs.remove_file(&abs(p))?
        };
        self.record(outcome);
        Ok(())
    }

    pub fn chown(&mut self, p: &str, uid: u32, gid: u32) -> Result<(), FsError> {
        let outcome = self.fs.chown(&abs(p), uid, gid)?;
        self.record(outcome);
        Ok(())
    }

    /// `touch` on an existing entry. overlayfs copies a lower file up for any change of its
    /// metadata; the container model has no call for times alone, so this re-applies the entry's
    /// mode, which triggers the same copy-up.
    pub fn touch(&mut self, p: &str, _mtime: i64) -> Result<(), FsError> {
        let mode = self.fs.lstat(&abs(p))?.mode;
        self.chmod(p, mode)
    }

    /// `rename(2)`. A directory from an image layer cannot be renamed under overlay2: the error is
    /// EXDEV, and `mv` then copies the tree and deletes the old one, as GNU mv does.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        match self.fs.rename(&abs(from), &abs(to)) {
            Ok(outcome) => {
                self.record(outcome);
                Ok(())
            }
            Err(e @ FsError::CrossDevice { .. }) => {
                self.events.push(Event::RenameCopied {
                    container: self.name.clone(),
                    path: abs(from),
                });
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}
