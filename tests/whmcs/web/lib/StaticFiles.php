<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the web server's static files.
 *
 * In a WHMCS installation the web server (Apache/nginx) serves every file under the document root
 * itself: the theme's CSS/JS under /templates/<theme>/, a module's assets under
 * /modules/servers/<module>/... (modules/servers/katapult is a symlink to the module here, made by
 * WhmcsStandIn\Module::load()). The stand-in's router does it for PHP's built-in server:
 *  - only files under ROOTDIR, or inside a loaded module's directory reached through ROOTDIR
 *    (the module symlink), are served: the URL path is percent-decoded once, then any `..` or `.`
 *    segment, empty segment, backslash, NUL or dot-file segment (.htaccess, .git) refuses the request,
 *    and the resolved real path must lie inside one of those directories (a symlink that leads
 *    elsewhere is refused);
 *  - only static types are served (css, js, map, images, fonts); PHP files, templates, JSON, the
 *    configuration file, session files are never sent. Simplification: WHMCS's web server would
 *    execute a .php URL (the module file dies without WHMCS defined); the stand-in answers 404.
 *  - the twenty-one theme's own assets are a fixed map (not derived from the URL): Bootstrap 4.6 CSS,
 *    jQuery and bootstrap.bundle from tests/browser/node_modules (npm), plus a small stand-in
 *    stylesheet in web/assets/. Real twenty-one bundles them as css/all.min.css and
 *    js/scripts.min.js; the stand-in serves the three files separately.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

final class StaticFiles
{
    /** Extension → Content-Type of the files the stand-in serves. */
    public const TYPES = [
        'css' => 'text/css; charset=utf-8',
        'js' => 'text/javascript; charset=utf-8',
        'mjs' => 'text/javascript; charset=utf-8',
        'map' => 'application/json; charset=utf-8',
        'png' => 'image/png',
        'jpg' => 'image/jpeg',
        'jpeg' => 'image/jpeg',
        'gif' => 'image/gif',
        'webp' => 'image/webp',
        'svg' => 'image/svg+xml',
        'ico' => 'image/x-icon',
        'woff' => 'font/woff',
        'woff2' => 'font/woff2',
        'ttf' => 'font/ttf',
        'eot' => 'application/vnd.ms-fontobject',
    ];

    /** @return array<string, string> URL path → file, for the theme's assets */
    public static function themeFiles(string $vendorDir): array
    {
        return [
            '/templates/twenty-one/css/bootstrap.min.css' => "$vendorDir/bootstrap/dist/css/bootstrap.min.css",
            '/templates/twenty-one/css/bootstrap.min.css.map' => "$vendorDir/bootstrap/dist/css/bootstrap.min.css.map",
            '/templates/twenty-one/js/jquery.min.js' => "$vendorDir/jquery/dist/jquery.min.js",
            '/templates/twenty-one/js/jquery.min.map' => "$vendorDir/jquery/dist/jquery.min.map",
            '/templates/twenty-one/js/bootstrap.bundle.min.js' => "$vendorDir/bootstrap/dist/js/bootstrap.bundle.min.js",
            '/templates/twenty-one/js/bootstrap.bundle.min.js.map' => "$vendorDir/bootstrap/dist/js/bootstrap.bundle.min.js.map",
            '/templates/twenty-one/css/theme.css' => dirname(__DIR__) . '/assets/twenty-one.css',
        ];
    }

    /**
     * The file a (percent-decoded) URL path names under $root, or null when it is refused or missing.
     *
     * @param list<string> $extraRealDirs directories a symlink under $root may lead into (loaded modules)
     */
    public static function resolve(string $path, string $root, array $extraRealDirs = []): ?string
    {
        if ($path === '' || $path[0] !== '/' || str_contains($path, "\0") || str_contains($path, '\\')) {
            return null;
        }
        $segments = explode('/', substr($path, 1));
        foreach ($segments as $segment) {
            if ($segment === '' || $segment[0] === '.') {
                return null;   // '', '.', '..', dot-files
            }
        }
        if (!isset(self::TYPES[self::extension($path)])) {
            return null;
        }
        $realRoot = realpath($root);
        if ($realRoot === false) {
            return null;
        }
        $real = realpath($realRoot . '/' . implode('/', $segments));
        if ($real === false || !is_file($real)) {
            return null;
        }
        foreach (array_merge([$realRoot], $extraRealDirs) as $dir) {
            $dir = rtrim($dir, '/');
            if ($dir !== '' && str_starts_with($real, $dir . '/')) {
                return $real;
            }
        }
        return null;
    }

    public static function extension(string $path): string
    {
        return strtolower(pathinfo($path, PATHINFO_EXTENSION));
    }

    /** Sends a file with its type (HEAD: headers only). */
    public static function send(string $file, string $urlPath): void
    {
        $type = self::TYPES[self::extension($urlPath)] ?? 'application/octet-stream';
        header('Content-Type: ' . $type);
        header('Content-Length: ' . (string) filesize($file));
        header('Last-Modified: ' . gmdate('D, d M Y H:i:s', (int) filemtime($file)) . ' GMT');
        header('X-Content-Type-Options: nosniff');
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') !== 'HEAD') {
            readfile($file);
        }
    }
}
