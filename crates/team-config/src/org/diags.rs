//! Diagnostics: every problem of `org.toml` found in one pass, each at its line.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use crate::error::{Diagnostic, Error};

/// The problems found so far, each with its line and the order it was found in.
pub(super) struct Diags<'a> {
    path: &'a Path,
    /// Byte offset of every `\n` in the source, in order: a line number is a binary search,
    /// not a scan from the start (an org with hundreds of accounts asks for tens of thousands).
    newlines: Vec<usize>,
    list: Vec<(usize, usize, String)>,
}

impl<'a> Diags<'a> {
    pub(super) fn new(path: &'a Path, src: &str) -> Self {
        Diags {
            path,
            newlines: src
                .bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
            list: Vec::new(),
        }
    }

    /// 1-based line of byte `offset`: one more than the newlines before it.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    pub(super) fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.line(span.start);
        let seq = self.list.len();
        self.list.push((line, seq, message.into()));
    }

    pub(super) fn check<T: AsRef<str>>(
        &mut self,
        v: &Spanned<T>,
        f: impl FnOnce(&str) -> Result<(), String>,
    ) {
        if let Err(e) = f(v.get_ref().as_ref()) {
            self.at(v.span(), e);
        }
    }

    pub(super) fn into_error(mut self) -> Option<Error> {
        if self.list.is_empty() {
            return None;
        }
        self.list.sort();
        Some(Error::Invalid(
            self.list
                .into_iter()
                .map(|(line, _, message)| Diagnostic {
                    path: self.path.to_path_buf(),
                    line,
                    message,
                })
                .collect(),
        ))
    }
}
