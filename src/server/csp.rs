//! The web map's Content-Security-Policy. In: the origins the page may talk
//! to besides its own (the `--public-url` tile host, a basemap host). Out:
//! the header value, built by [`ContentSecurityPolicy::header_value`].
//!
//! What the page loads decides each directive: its own scripts, styles and
//! API (`'self'`); MapLibre's worker, a module loaded from the page's own
//! origin (`worker-src 'self'`); the `style="…"` attributes of the legend and
//! panel markup and the data: SVG icons of MapLibre's stylesheet. Nothing is
//! inline script, nothing may frame the page.

/// A Content-Security-Policy for the web map, built from the extra origins
/// the page may fetch from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContentSecurityPolicy {
    /// Origins the page and MapLibre's worker may fetch from (tiles on
    /// another host, a basemap's style, tiles, glyphs and sprites).
    connect: Vec<String>,
    /// Origins images may come from (a raster basemap, sprites).
    img: Vec<String>,
}

impl ContentSecurityPolicy {
    /// The policy for a page that talks only to its own origin.
    pub fn new() -> ContentSecurityPolicy {
        ContentSecurityPolicy::default()
    }

    /// Also allows fetches from the origin of `url`, e.g. the `--public-url`
    /// host that TileJSON points tile requests at. Errors name the URL.
    pub fn with_connect(mut self, url: &str) -> Result<ContentSecurityPolicy, String> {
        let origin = origin_of(url)?;
        push_unique(&mut self.connect, origin);
        Ok(self)
    }

    /// Also allows a basemap from the origin of `url`: its style, vector
    /// tiles, glyphs and sprites (fetched) and raster tiles (images).
    pub fn with_basemap(mut self, url: &str) -> Result<ContentSecurityPolicy, String> {
        let origin = origin_of(url)?;
        push_unique(&mut self.connect, origin.clone());
        push_unique(&mut self.img, origin);
        Ok(self)
    }

    /// The `Content-Security-Policy` header value.
    pub fn header_value(&self) -> String {
        let with = |base: &str, extra: &[String]| {
            std::iter::once(base.to_string())
                .chain(extra.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        [
            "default-src 'self'".to_string(),
            "script-src 'self'".to_string(),
            "worker-src 'self'".to_string(),
            // Browsers with style-src-elem keep <style>/<link> to 'self' and
            // take attributes from style-src; older ones allow both inline.
            "style-src 'self' 'unsafe-inline'".to_string(),
            "style-src-elem 'self'".to_string(),
            with("img-src 'self' data: blob:", &self.img),
            with("connect-src 'self'", &self.connect),
            "font-src 'self'".to_string(),
            "object-src 'none'".to_string(),
            "base-uri 'none'".to_string(),
            "form-action 'self'".to_string(),
            "frame-ancestors 'none'".to_string(),
        ]
        .join("; ")
    }
}

fn push_unique(list: &mut Vec<String>, origin: String) {
    if !list.contains(&origin) {
        list.push(origin);
    }
}

/// The origin (`scheme://host[:port]`) of an http(s) URL; refuses anything
/// that could break out of a CSP source expression.
fn origin_of(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url}: not an http(s) URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("{url}: not an http(s) URL"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let ok = !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !ok {
        return Err(format!("{url}: no valid host"));
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_origin_only_by_default() {
        let v = ContentSecurityPolicy::new().header_value();
        assert!(
            v.starts_with("default-src 'self'; script-src 'self';"),
            "{v}"
        );
        assert!(v.contains("connect-src 'self';"), "{v}");
        assert!(v.contains("frame-ancestors 'none'"), "{v}");
        assert!(!v.contains("unsafe-eval"), "{v}");
    }

    #[test]
    fn extra_origins_go_to_their_directives() {
        let v = ContentSecurityPolicy::new()
            .with_connect("https://Tiles.example.org/base/")
            .unwrap()
            .with_basemap("https://basemap.example.org:8443/style.json")
            .unwrap()
            .with_connect("https://tiles.example.org")
            .unwrap()
            .header_value();
        assert!(
            v.contains(
                "connect-src 'self' https://tiles.example.org https://basemap.example.org:8443;"
            ),
            "{v}"
        );
        assert!(
            v.contains("img-src 'self' data: blob: https://basemap.example.org:8443;"),
            "{v}"
        );
    }

    #[test]
    fn origins_that_could_inject_are_refused() {
        for bad in [
            "tiles.example.org",
            "ftp://x.org",
            "https://",
            "https://x.org; script-src *",
            "https://a'b.org",
            "https://user@x.org",
            "https://x.org\u{0}",
        ] {
            let e = ContentSecurityPolicy::new().with_basemap(bad).unwrap_err();
            assert!(e.starts_with(bad), "{e}");
        }
    }
}
