//! Two pieces of work at once: the one helper every stage that splits its
//! work in two (the two sides of a diff, two halves of a list) uses, so
//! threads are started, joined and their panics surfaced in one way.

/// Runs `a` here and `b` on a second thread when `parallel`, else one after
/// the other, and returns both results. A panic on the other thread is a
/// bug: it is resumed here, as if it had happened on this thread.
pub(crate) fn both<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(b);
        let first = a();
        let second = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (first, second)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_give_both_results_in_order() {
        for parallel in [false, true] {
            assert_eq!(both(parallel, || 1, || "two"), (1, "two"));
        }
    }

    #[test]
    fn a_panic_on_the_other_thread_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| both(true, || 1, || -> i32 { panic!("boom") }));
        assert!(caught.is_err());
    }
}
