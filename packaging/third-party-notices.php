<?php
/**
 * Writes THIRD-PARTY-NOTICES for the extension to stdout: every crate compiled into katapult.so
 * (cargo tree: normal dependencies with the `php` feature, without build scripts' and proc
 * macros' own dependencies, which do not end up in the binary), with the licence cargo declares
 * for it and the licence and notice files the crate ships.
 *
 * Run from the repository: php packaging/third-party-notices.php > THIRD-PARTY-NOTICES
 */
declare(strict_types=1);

function cargo(string $arguments): string
{
    $output = shell_exec("cargo $arguments --offline 2>/dev/null");
    if (!is_string($output) || trim($output) === '') {
        fwrite(STDERR, "third-party-notices: `cargo $arguments` gave nothing\n");
        exit(1);
    }
    return $output;
}

// Filtered to the build's platform: the crates of other platforms are neither linked nor downloaded.
$target = getenv('CARGO_BUILD_TARGET') ?: (preg_match('/^host: (\S+)$/m', (string) shell_exec('rustc -vV'), $m) ? $m[1] : '');

// "name v1.2.3" of each crate linked into the extension; the root and path crates are ours.
$linked = [];
foreach (explode("\n", cargo('tree -p katapult --features php -e normal,no-proc-macro --prefix none --format "{p}"' . " --target $target")) as $line) {
    if (preg_match('/^(\S+) v(\S+)(?: \(\*\))?$/', trim($line), $m)) {
        $linked["$m[1] $m[2]"] = true;
    }
}

$metadata = json_decode(cargo("metadata --format-version 1 --features katapult/php --filter-platform $target"), true, flags: JSON_THROW_ON_ERROR);
$crates = [];
foreach ($metadata['packages'] as $package) {
    if (isset($linked["{$package['name']} {$package['version']}"]) && $package['source'] !== null) {
        $crates["{$package['name']} {$package['version']}"] = $package;
    }
}
ksort($crates, SORT_NATURAL);
if ($crates === []) {
    fwrite(STDERR, "third-party-notices: no dependency found in cargo's metadata\n");
    exit(1);
}

echo "Third-party software in katapult.so\n";
echo "===================================\n\n";
echo "katapult.so is compiled from this project's source (MIT, see LICENSE) and the Rust crates\n";
echo "below, each under the licence its authors declare (SPDX expression; where it offers a\n";
echo "choice, the recipient may take any of them). The licence and notice files each crate ships\n";
echo "follow its entry.\n\n";
foreach ($crates as $id => $package) {
    echo str_repeat('-', 78), "\n";
    echo "$id\n";
    echo 'Licence: ', $package['license'] ?? ('see ' . ($package['license_file'] ?? 'the crate')), "\n";
    if (!empty($package['repository'])) {
        echo "Source: {$package['repository']}\n";
    }
    $dir = dirname($package['manifest_path']);
    $files = glob($dir . '/{LICEN[CS]E,LICEN[CS]E[-_.]*,COPYING*,NOTICE*}', GLOB_BRACE) ?: [];
    if ($files === []) {
        echo "(the crate ships no licence file: the licence's standard text applies)\n";
    }
    foreach ($files as $file) {
        if (is_file($file)) {
            echo "\n--- ", basename($file), "\n\n", rtrim((string) file_get_contents($file)), "\n";
        }
    }
    echo "\n";
}
