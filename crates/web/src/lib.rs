//! triage-ledger-web: the core's verifier page call
//! (`triage_ledger_core::page::run`) as three WebAssembly exports, for the
//! page's script: `tl_input(len)` gives a buffer of `len` bytes to write
//! the input into, `tl_run()` verifies and returns the length of the JSON
//! answer, `tl_output()` is where it is. No wasm-bindgen: the page's script
//! is hand-written and small (`crates/core/src/page/verifier.js`).

#![deny(unsafe_code)]
#![warn(missing_docs)]

use std::cell::RefCell;

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` zero bytes for the input; the script writes into it.
#[allow(unsafe_code)] // `no_mangle`: the export's name is the script's.
#[no_mangle]
pub extern "C" fn tl_input(len: usize) -> *mut u8 {
    INPUT.with(|i| {
        let mut i = i.borrow_mut();
        i.clear();
        i.resize(len, 0);
        i.as_mut_ptr()
    })
}

/// Runs the verifier on the input; returns the answer's length in bytes.
#[allow(unsafe_code)] // `no_mangle`
#[no_mangle]
pub extern "C" fn tl_run() -> usize {
    let answer = INPUT.with(|i| triage_ledger_core::page::run(&i.borrow()));
    OUTPUT.with(|o| {
        let mut o = o.borrow_mut();
        *o = answer.into_bytes();
        o.len()
    })
}

/// Where the answer (UTF-8 JSON) is.
#[allow(unsafe_code)] // `no_mangle`
#[no_mangle]
pub extern "C" fn tl_output() -> *const u8 {
    OUTPUT.with(|o| o.borrow().as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exports_pass_the_input_and_answer() {
        let input = triage_ledger_core::page::encode_input(&Default::default());
        let p = tl_input(input.len());
        // What the page's script does, through the pointer.
        INPUT.with(|i| {
            assert_eq!(i.borrow().as_ptr(), p as *const u8);
            i.borrow_mut().copy_from_slice(&input);
        });
        let n = tl_run();
        let answer = OUTPUT.with(|o| o.borrow().clone());
        assert_eq!(answer.len(), n);
        assert_eq!(OUTPUT.with(|o| o.borrow().as_ptr()), tl_output());
        let text = String::from_utf8(answer).unwrap();
        assert!(text.contains("no trust"), "{text}");
    }
}
