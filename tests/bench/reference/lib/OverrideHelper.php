<?php
/**
 * The incumbent's OverrideHelper: a file under overrides/ wins over the module's
 * own, checked with file_exists() on every call; the result is relative to the module folder.
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

final class OverrideHelper
{
    public static function view(string $file): string
    {
        return self::file('views/' . ltrim($file, '/'));
    }

    public static function asset(string $file): string
    {
        return self::file('assets/' . ltrim($file, '/'));
    }

    private static function file(string $file): string
    {
        $dir = (string) realpath(__DIR__ . '/../');
        return file_exists($dir . '/overrides/' . $file) ? 'overrides/' . $file : $file;
    }
}
