//! The terminal redline and `log` as a reader sees them, as insta snapshots
//! (commit ids masked).

use crate::util::{captures, env_in, run, snapshots_dir};

/// The plain redline of each consecutive pair, wrapped at 80 columns.
#[test]
fn redline_of_each_bundled_pair() {
    let files = captures();
    for w in files.windows(2) {
        let (a, b) = (
            w[0].file_name().unwrap().to_str().unwrap(),
            w[1].file_name().unwrap().to_str().unwrap(),
        );
        let r = run(&env_in(&snapshots_dir()), &["diff", a, b, "--width", "80"]);
        assert!(r.code <= 1, "{r:?}");
        let name = format!("diff_{}_{}", &a[..10], &b[..10]);
        insta::assert_snapshot!(name, r.stdout);
    }
}

#[test]
fn log_masks_nothing_but_ids_and_times() {
    let (_dir, store) = crate::util::new_store();
    let env = env_in(&store);
    run(&env, &["import", snapshots_dir().to_str().unwrap()]);
    let r = run(&env, &["log"]);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"(?m)^[0-9a-f]{10} ", "[rev] ");
    settings.bind(|| insta::assert_snapshot!("log_after_import", r.stdout));
}
