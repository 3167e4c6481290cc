#!/usr/bin/env bash
# A headless Chromium for the site's browser test (tests/site_browser.py), from a registry package: browser
# hosts cannot be reached here, but the npm package @sparticuz/chromium ships a build (brotli-compressed).
# Usage: scripts/headless_browser.sh DIR -> DIR/bin/chromium (beside its GL libraries), DIR/lib/lib (its shared
# libraries), DIR/fonts.conf; tests/site_browser.py starts it from there.
set -euo pipefail
VERSION=153.0.0
dir=$(realpath -m "${1:?usage: $0 DIR}")
[ -x "$dir/bin/chromium" ] && [ -f "$dir/fonts.conf" ] && exit 0
command -v npm >/dev/null && command -v node >/dev/null ||
  { echo "npm or node not found: no headless browser (the site's browser test will skip)"; exit 0; }
rm -rf "$dir" && mkdir -p "$dir/pack" "$dir/bin" "$dir/lib" "$dir/fonts" "$dir/home"
# A registry out of reach is no failure of the project: the browser test skips and says why.
(cd "$dir/pack" && npm pack "@sparticuz/chromium@$VERSION" --silent >/dev/null) ||
  { echo "npm pack @sparticuz/chromium@$VERSION failed: no headless browser (the site's browser test will skip)"; rm -rf "$dir"; exit 0; }
tar -xzf "$dir/pack/sparticuz-chromium-$VERSION.tgz" -C "$dir/pack"
# Node has brotli built in (Python's standard library has not).
node -e '
const fs = require("fs"), zlib = require("zlib");
const [from, to] = process.argv.slice(1);
for (const name of fs.readdirSync(from).filter(n => n.endsWith(".br")))
  fs.writeFileSync(`${to}/${name.slice(0, -3)}`, zlib.brotliDecompressSync(fs.readFileSync(`${from}/${name}`)));
' "$dir/pack/package/bin" "$dir/pack"
# Chromium must sit beside the swiftshader libraries (libEGL, libGLESv2, libvulkan): elsewhere it dies.
tar -xf "$dir/pack/swiftshader.tar" -C "$dir/bin"
mv "$dir/pack/chromium" "$dir/bin/chromium" && chmod +x "$dir/bin/chromium"
tar -xf "$dir/pack/al2023.tar" -C "$dir/lib"
tar -xf "$dir/pack/fonts.tar" -C "$dir/fonts"
cat > "$dir/fonts.conf" <<CONF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>$dir/fonts</dir><cachedir>$dir/home/fontconfig</cachedir></fontconfig>
CONF
rm -rf "$dir/pack"
echo "headless Chromium $VERSION in $dir/bin"
