//! Documentation that must not drift from the code it describes.

/// The README shows the ER diagram that entity regeneration writes.
#[test]
fn readme_embeds_the_generated_er_diagram() {
    let diagram = include_str!("../../docs/next-auth-v3.mermaid");
    let readme = include_str!("../../README.md");
    let embedded = format!("```mermaid\n{}\n```", diagram.trim_end());
    assert!(
        readme.contains(&embedded),
        "README.md must contain docs/next-auth-v3.mermaid verbatim in a ```mermaid block; re-copy it after regenerating"
    );
}
