#!/usr/bin/env bash
# MiniChat's macOS disk image from dist/MiniChat.app (scripts/package, run on a Mac): signs the
# app inside out with the hardened runtime and a secure timestamp, makes the DMG with hdiutil
# (the app and a link to /Applications), signs it, has Apple notarize it and staples the ticket.
# docs/packaging.md explains each step.
#
# From the environment (CI secrets; never in the repository):
#   MINICHAT_MACOS_SIGN_IDENTITY  "Developer ID Application: NAME (TEAMID)", in the keychain;
#                                 unset: an unsigned DMG for testing only (Gatekeeper refuses it)
#   MINICHAT_NOTARY_PROFILE       a notarytool keychain profile (xcrun notarytool
#                                 store-credentials); unset: signed but not notarized
set -euo pipefail
cd "$(dirname "$0")/../.."
app=dist/MiniChat.app
[ -d "$app" ] || { echo "make_dmg: no $app; run scripts/package on this Mac first" >&2; exit 1; }
version=$("$app/Contents/MacOS/minichat" --version | awk '{print $2}')
dmg=dist/MiniChat-$version.dmg
identity=${MINICHAT_MACOS_SIGN_IDENTITY:-}
entitlements=packaging/macos/entitlements.plist

if [ -n "$identity" ]; then
    echo "make_dmg: signing $app as $identity"
    sign() {
        codesign --force --timestamp --options runtime --entitlements "$entitlements" \
            --sign "$identity" "$@"
    }
    # Inside out: every library and nested executable first, the app's own executable last
    # (Apple advises against --deep, which signs nested code without its entitlements).
    find "$app/Contents" -type f \( -name '*.dylib' -o -name '*.so' -o -perm -u+x \) \
        ! -path "$app/Contents/MacOS/minichat" -print0 |
        while IFS= read -r -d '' f; do
            if file -b "$f" | grep -q 'Mach-O'; then sign "$f"; fi
        done
    find "$app/Contents" -type d -name '*.framework' -print0 |
        while IFS= read -r -d '' f; do sign "$f"; done
    sign "$app"
    codesign --verify --strict --deep --verbose=2 "$app"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ditto "$app" "$stage/MiniChat.app"
ln -s /Applications "$stage/Applications"
rm -f "$dmg"
hdiutil create -volname "MiniChat $version" -srcfolder "$stage" -fs HFS+ -format UDZO \
    -ov "$dmg"

if [ -n "$identity" ]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
    if [ -n "${MINICHAT_NOTARY_PROFILE:-}" ]; then
        echo "make_dmg: notarizing $dmg (this waits for Apple's answer)"
        xcrun notarytool submit "$dmg" --keychain-profile "$MINICHAT_NOTARY_PROFILE" --wait
        xcrun stapler staple "$dmg"
        xcrun stapler validate "$dmg"
        spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
    else
        echo "make_dmg: MINICHAT_NOTARY_PROFILE unset: signed, not notarized" >&2
    fi
else
    echo "make_dmg: MINICHAT_MACOS_SIGN_IDENTITY unset: an UNSIGNED image, for testing only" >&2
fi
echo "make_dmg: $dmg"
