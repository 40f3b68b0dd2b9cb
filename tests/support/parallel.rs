//! Cases of one test run side by side. A test that checks many cases, each spawning the built
//! binary against its own scratch repository, spends its time waiting on children; run one
//! after another they made the longest tests of `cli`, `bad_input` and `hostile` (#16). Every
//! case still runs and asserts what it did; a failure names its case, and every failing case is
//! reported, not only the first.

use std::any::Any;
use std::sync::Mutex;

/// Runs `check` on every case, on a few threads at a time (the machine's parallelism, at least
/// two), and panics with the messages of all the cases that panicked, in case order.
pub fn each<T: Send>(cases: Vec<T>, check: impl Fn(T) + Sync) {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2)
        .min(cases.len().max(1));
    let queue = Mutex::new(cases.into_iter().enumerate());
    let failures: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some((n, case)) = queue.lock().unwrap_or_else(|e| e.into_inner()).next() else {
                    return;
                };
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(case)));
                if let Err(e) = run {
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((n, message(&*e)));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.sort_by_key(|(n, _)| *n);
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures
            .iter()
            .map(|(n, m)| format!("case {n}: {m}"))
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

fn message(e: &(dyn Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(panic without a message)".into())
}
