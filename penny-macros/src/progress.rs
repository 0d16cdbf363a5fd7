//! `progress()`: read from the phases' cursors.
//!
//! `done` counts iterations of the phases (the loops of the function body, also those in the
//! arms of a branch): a finished phase counts its whole length, the running one its cursor. A
//! phase skipped by an early `return` counts as done, so `done == total` at the end.
//!
//! `total` is the sum of the phases' lengths. A `for` phase's length is known once the phase
//! started, or before when its range reads only arguments that never change (and it isn't
//! in a branch, which might not run it); a `while`/`loop` phase's only once it ended. Resume
//! points are numbered in program order, so "started" and "ended" are comparisons with the
//! phase field; a phase in a branch that didn't run keeps its cursor at zero.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use crate::ast::{Head, Loop, Part, Seq};
use crate::kernel::Kernel;
use crate::machine::{pc_literal, LoopInfo};

/// The body of `progress()`, reading the phases' cursors (`infos`, by loop id) and the
/// phase and output fields.
pub(crate) fn progress_body(
    kernel: &Kernel,
    infos: &[LoopInfo],
    phase: &Ident,
    output: &Ident,
) -> TokenStream {
    let immutable_args: HashSet<String> = kernel
        .args
        .iter()
        .filter(|a| !a.mutable && kernel.immutables.contains(&a.name.to_string()))
        .map(|a| a.name.to_string())
        .collect();
    let mut phases: Vec<(&Loop, bool)> = Vec::new();
    collect_phases(kernel.body, false, &mut phases);
    let mut code = Vec::new();
    for (l, in_branch) in phases {
        let info = &infos[l.id];
        let (head, exit) = (pc_literal(info.head), pc_literal(info.exit));
        let done = info.done.as_ref().expect("phases have a cursor");
        let nested = !l.is_leaf();
        // Units per iteration, and what the inner loops add during one.
        let units = quote!(::penny::Progress::NESTED_UNITS);
        let inner = nested.then(|| inner_part(&l.body, infos, phase));
        let len = len_tokens(info);
        match (&l.head, len) {
            (Head::For { .. }, Some(len)) => {
                let before_start = if !in_branch
                    && info.saved.is_none()
                    && info.reads.iter().all(|name| immutable_args.contains(name))
                {
                    let loads = info.reads.iter().map(|name| {
                        let name = Ident::new(name, Span::call_site());
                        quote!(let #name = self.#name;)
                    });
                    let range = info.range.as_ref().expect("for loops have a range");
                    quote!({ #(#loads)* Some(#range.len()) })
                } else {
                    quote!({ None })
                };
                let (scale, running) = if nested {
                    (
                        quote!(let len = len.map(|l| l.saturating_mul(#units));),
                        quote!(self.#done.saturating_mul(#units).saturating_add(#inner)),
                    )
                } else {
                    (quote!(), quote!(self.#done))
                };
                code.push(quote! {
                    let len = if self.#phase >= #head { Some(#len) } else #before_start;
                    #scale
                    if finished || self.#phase >= #exit {
                        done = done.saturating_add(len.unwrap_or(0));
                    } else if self.#phase >= #head {
                        done = done.saturating_add(#running);
                    }
                    total = total.zip(len).map(|(t, l)| t.saturating_add(l));
                });
            }
            _ => {
                // `done` counts iterations started; inside the body the current one isn't
                // finished yet.
                let current = if nested {
                    quote! {
                        if self.#phase > #head && self.#done > 0 {
                            (self.#done - 1).saturating_mul(#units).saturating_add(#inner)
                        } else {
                            self.#done.saturating_mul(#units)
                        }
                    }
                } else {
                    quote!(self.#done)
                };
                let finished_units = if nested {
                    quote!(self.#done.saturating_mul(#units))
                } else {
                    quote!(self.#done)
                };
                code.push(quote! {
                    if finished || self.#phase >= #exit {
                        done = done.saturating_add(#finished_units);
                        total = total.map(|t| t.saturating_add(#finished_units));
                    } else {
                        if self.#phase >= #head {
                            done = done.saturating_add(#current);
                        }
                        total = None;
                    }
                });
            }
        }
    }
    quote! {
        let finished = self.#output.is_some();
        let mut done = 0u64;
        let mut total = Some(0u64);
        #(#code)*
        if finished {
            total = Some(done);
        }
        ::penny::Progress { done, total }
    }
}

/// The loops of `seq` at its own level (into branch arms, not into loops), in program order,
/// with whether each is in a branch.
fn collect_phases<'a>(seq: &'a Seq, in_branch: bool, out: &mut Vec<(&'a Loop, bool)>) {
    for part in &seq.parts {
        match part {
            Part::Loop(l) => out.push((l, in_branch)),
            Part::Branch(b) => {
                for arm in &b.arms {
                    collect_phases(arm, true, out);
                }
            }
            _ => {}
        }
    }
}

/// The field or expression holding a `for` loop's length, when it has one.
fn len_tokens(info: &LoopInfo) -> Option<TokenStream> {
    match (&info.len, &info.saved) {
        (Some(len), _) => Some(quote!(self.#len)),
        (None, Some(saved)) => Some(quote!(self.#saved.len())),
        (None, None) => None,
    }
}

/// What the resumable loops right inside a phase add to it during one of its iterations:
/// an equal share of [`penny::Progress::NESTED_UNITS`] each, a finished loop its whole share,
/// the running one its share times its cursor over its length (`while`/`loop`: nothing until
/// it ends). Resume points run in program order within an iteration, so this only grows.
fn inner_part(body: &Seq, infos: &[LoopInfo], phase: &Ident) -> TokenStream {
    let mut found = Vec::new();
    collect_phases(body, false, &mut found);
    // A labelled block (a loop run once) shares out its units among its own loops.
    let mut inner: Vec<&Loop> = Vec::new();
    let mut queue: Vec<&Loop> = found.into_iter().map(|(l, _)| l).rev().collect();
    while let Some(l) = queue.pop() {
        if l.runs_once && !l.is_leaf() {
            let mut within = Vec::new();
            collect_phases(&l.body, false, &mut within);
            queue.extend(within.into_iter().map(|(l, _)| l).rev());
        } else {
            inner.push(l);
        }
    }
    let count = inner.len().max(1) as u64;
    let parts = inner.iter().map(|l| {
        let info = &infos[l.id];
        let (head, exit) = (pc_literal(info.head), pc_literal(info.exit));
        let running = match (&info.done, len_tokens(info)) {
            (Some(done), Some(len)) => quote! {
                (u128::from(share) * u128::from(self.#done) / u128::from(#len.max(1))) as u64
            },
            _ => quote!(0u64),
        };
        quote! {
            + if self.#phase >= #exit {
                share
            } else if self.#phase >= #head {
                #running
            } else {
                0
            }
        }
    });
    quote!({
        let share = ::penny::Progress::NESTED_UNITS / #count;
        0u64 #(#parts)*
    })
}
