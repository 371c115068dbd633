//! The rewrite of a validated module: the one place that changes its bytes.
//!
//! Sections are copied as they are, except:
//!
//! * the memory section: each maximum is clamped to `max_memory_pages`, so
//!   `memory.grow` past the limit returns `-1` on every engine;
//! * the start section is removed and its function exported under a
//!   reserved name ([`Rewritten::start_export`]); the runtime calls it right
//!   after instantiation, before the export. Instantiation still initialises
//!   data and elements first, so the order of effects is the spec's, but
//!   every engine now runs the start function with the instance complete
//!   (its memory reachable by host functions) and under the same call path.

use std::ops::Range;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{ExportKind, ExportSection, MemorySection, RawSection, SectionId};
use wasmparser::{Parser, Payload};

use crate::error::{Rejection, RejectionKind};
use crate::limits::Limits;

/// The export name the start function gets, unless a module already uses it.
const START_EXPORT: &str = "__runtime_start";

pub(super) struct Rewritten {
    pub(super) code: Vec<u8>,
    /// The name the start function is exported under, if there is one.
    pub(super) start_export: Option<String>,
}

/// Clamps each memory's declared maximum to the limit.
struct ClampMemory {
    max_memory_pages: u64,
}

impl Reencode for ClampMemory {
    type Error = std::convert::Infallible;

    fn memory_type(
        &mut self,
        memory_ty: wasmparser::MemoryType,
    ) -> Result<wasm_encoder::MemoryType, reencode::Error<Self::Error>> {
        let mut ty = reencode::utils::memory_type(self, memory_ty);
        ty.maximum = Some(
            ty.maximum
                .map_or(self.max_memory_pages, |m| m.min(self.max_memory_pages)),
        );
        Ok(ty)
    }
}

fn failed(e: impl std::fmt::Display) -> Rejection {
    Rejection::new(
        RejectionKind::MalformedModule,
        format!("re-encoding failed: {e}"),
    )
}

/// Whether a section with this id comes after the export section.
fn after_exports(id: u8) -> bool {
    [
        SectionId::Start,
        SectionId::Element,
        SectionId::DataCount,
        SectionId::Code,
        SectionId::Data,
    ]
    .iter()
    .any(|s| *s as u8 == id)
}

/// Rewrites a validated module.
///
/// # Errors
///
/// `MalformedModule` if the module cannot be re-encoded (it was validated, so
/// this is not expected).
pub(super) fn rewrite(wasm: &[u8], limits: &Limits) -> Result<Rewritten, Rejection> {
    let mut clamp = ClampMemory {
        max_memory_pages: u64::from(limits.max_memory_pages),
    };
    // First pass: the start function and the export names in use.
    let mut start = None;
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(failed)? {
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::ExportSection(reader) => {
                for export in reader {
                    names.push(export.map_err(failed)?.name.to_owned());
                }
            }
            _ => {}
        }
    }
    let start_export = start.map(|_| {
        let mut name = START_EXPORT.to_owned();
        while names.contains(&name) {
            name.push('_');
        }
        name
    });
    let start_entry = start.zip(start_export.clone());

    let mut module = wasm_encoder::Module::new();
    let mut exports_written = false;
    let raw = |module: &mut wasm_encoder::Module, id: u8, range: Range<u64>| {
        module.section(&RawSection {
            id,
            data: &wasm[range.start as usize..range.end as usize],
        });
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(failed)?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        if !exports_written && after_exports(id) {
            if let Some((func, name)) = &start_entry {
                let mut exports = ExportSection::new();
                exports.export(name, ExportKind::Func, *func);
                module.section(&exports);
            }
            exports_written = true;
        }
        match payload {
            Payload::MemorySection(reader) => {
                let mut memories = MemorySection::new();
                clamp
                    .parse_memory_section(&mut memories, reader)
                    .map_err(failed)?;
                module.section(&memories);
            }
            Payload::ExportSection(reader) => {
                let mut exports = ExportSection::new();
                clamp
                    .parse_export_section(&mut exports, reader)
                    .map_err(failed)?;
                if let Some((func, name)) = &start_entry {
                    exports.export(name, ExportKind::Func, *func);
                }
                module.section(&exports);
                exports_written = true;
            }
            Payload::StartSection { .. } => {}
            _ => raw(&mut module, id, range),
        }
    }
    if !exports_written && let Some((func, name)) = &start_entry {
        let mut exports = ExportSection::new();
        exports.export(name, ExportKind::Func, *func);
        module.section(&exports);
    }
    Ok(Rewritten {
        code: module.finish(),
        start_export,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite_wat(src: &str) -> Rewritten {
        let wasm = wat::parse_str(src).unwrap();
        let out = rewrite(&wasm, &Limits::default()).unwrap();
        wasmparser::Validator::new()
            .validate_all(&out.code)
            .unwrap();
        out
    }

    #[test]
    fn start_becomes_an_export_and_memory_is_clamped() {
        let out =
            rewrite_wat(r#"(module (memory 1) (func $s) (start $s) (data (i32.const 0) "x"))"#);
        assert_eq!(out.start_export.as_deref(), Some(START_EXPORT));
        let mut saw_export = false;
        for payload in Parser::new(0).parse_all(&out.code) {
            match payload.unwrap() {
                Payload::StartSection { .. } => panic!("start section kept"),
                Payload::MemorySection(r) => {
                    let m = r.into_iter().next().unwrap().unwrap();
                    assert_eq!(
                        m.maximum,
                        Some(u64::from(Limits::default().max_memory_pages))
                    );
                }
                Payload::ExportSection(r) => {
                    let e = r.into_iter().next().unwrap().unwrap();
                    assert_eq!((e.name, e.index), (START_EXPORT, 0));
                    saw_export = true;
                }
                _ => {}
            }
        }
        assert!(saw_export);
    }

    #[test]
    fn reserved_name_in_use_gets_another() {
        let out = rewrite_wat(r#"(module (func $s) (func (export "__runtime_start")) (start $s))"#);
        assert_eq!(out.start_export.as_deref(), Some("__runtime_start_"));
    }

    #[test]
    fn smaller_maximum_is_kept() {
        let out = rewrite_wat(r#"(module (memory 1 2))"#);
        assert!(out.start_export.is_none());
        for payload in Parser::new(0).parse_all(&out.code) {
            if let Payload::MemorySection(r) = payload.unwrap() {
                assert_eq!(r.into_iter().next().unwrap().unwrap().maximum, Some(2));
            }
        }
    }
}
