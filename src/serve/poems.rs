//! The public-domain poems compiled into the binary, so `serve` and `demo`
//! work on a fresh machine with no files at hand.

/// A bundled poem: `name` is what `serve NAME` accepts (also with `.txt`).
#[derive(Debug, Clone, Copy)]
pub struct BundledPoem {
    pub name: &'static str,
    pub title: &'static str,
    pub author: &'static str,
    pub text: &'static str,
}

macro_rules! bundled {
    ($($name:literal, $title:literal, $author:literal;)*) => {
        &[$(BundledPoem {
            name: $name,
            title: $title,
            author: $author,
            text: include_str!(concat!("../../assets/poems/", $name, ".txt")),
        }),*]
    };
}

/// The tutorial's three first, then the others; last, a "poem" full of
/// terminal escapes for testing (and showing) what poetry-dash refuses to obey.
pub const BUNDLED: &[BundledPoem] = bundled! {
    "ecstasy", "The Ecstasy", "John Donne";
    "fascination", "The Fascination of What's Difficult", "W. B. Yeats";
    "science", "Sonnet—To Science", "Edgar Allan Poe";
    "ozymandias", "Ozymandias", "Percy Bysshe Shelley";
    "tyger", "The Tyger", "William Blake";
    "sonnet18", "Sonnet 18", "William Shakespeare";
    "nachtlied", "Wandrers Nachtlied II", "Johann Wolfgang von Goethe";
    "jingyesi", "靜夜思 (Quiet Night Thought)", "Li Bai";
    "hostile", "A Hostile Server (terminal escapes, controls, bidi overrides)", "poetry-dash tests";
};

/// Finds a bundled poem by name, with or without `.txt`.
pub fn find(name: &str) -> Option<&'static BundledPoem> {
    let name = name.strip_suffix(".txt").unwrap_or(name);
    BUNDLED.iter().find(|poem| poem.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_poems_are_bundled_and_findable() {
        assert!(
            find("ecstasy.txt")
                .unwrap()
                .text
                .starts_with("Where, like a pillow")
        );
        assert!(
            find("fascination")
                .unwrap()
                .text
                .contains("pull out the bolt")
        );
        assert!(
            find("science")
                .unwrap()
                .text
                .starts_with("Science! true daughter")
        );
        assert!(find("nope").is_none());
        assert!(BUNDLED.iter().all(|poem| poem.text.ends_with('\n')));
    }
}
